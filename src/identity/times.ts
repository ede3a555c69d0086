/**
 * The time checks of an ID token: was it valid when the session received it, and is it not
 * from the future.
 *
 * Bolt's ID token lives about as long as the login's access token (its example: 55 minutes),
 * while the session it identifies lives on through refreshes for up to a year, and refresh
 * answers carry no new ID token. The ID token is Bolt's statement about the login, so its
 * `exp` is compared with the moment the session received it (OpenID Connect Core §3.1.3.7
 * checks `exp` on receipt), not with every later moment.
 *
 * @module
 */
import type { ShopperIdentity } from './claims.js'

/** When the checks run, and what is known of when the session received the token. */
export interface TimeContext {
  /** The manager's clock, epoch milliseconds. */
  now: number
  /** Allowed clock difference, milliseconds. */
  leewayMs: number
  /**
   * When the session received the ID token (epoch ms): the token set's `idTokenReceivedAt`
   * (kept through refreshes). `undefined` only for records stored before that field existed
   * whose set cannot manage (then only `exp > iat` is checked).
   */
  receivedAt: number | undefined
}

/**
 * Checks `iat`, `nbf` and `exp` of an identity whose claims have been checked.
 *
 * @returns a reason for refusing it, or `undefined`.
 */
export function checkTimes(identity: ShopperIdentity, context: TimeContext): string | undefined {
  const { now, leewayMs, receivedAt } = context
  const iatMs = identity.iat * 1000
  const expMs = identity.exp * 1000
  if (iatMs > now + leewayMs) return 'it was issued in the future (`iat`)'
  if (identity.nbf !== undefined && identity.nbf * 1000 > now + leewayMs) {
    return 'it is not valid yet (`nbf`)'
  }
  if (expMs <= iatMs) return 'it expires before it was issued (`exp`)'
  if (receivedAt !== undefined && expMs <= receivedAt - leewayMs) {
    return 'it had expired when the session received it (`exp`)'
  }
  return undefined
}
