/**
 * `getIdentity`'s core: from a session's token set to the shopper's verified identity.
 *
 * The expensive part (discovery, JWKS, signature, claims) runs once per ID token and is kept
 * in a bounded in-memory cache; the time checks, which depend on the clock and on the token
 * set, run on every call.
 *
 * @module
 */
import { canManage, type TokenSet } from '../machine/token-set.js'
import { checkClaims, normalizeIssuer, type ShopperIdentity } from './claims.js'
import { idTokenInvalid } from './identity-errors.js'
import type { ResolvedIdentityOptions } from './options.js'
import { checkTimes } from './times.js'
import { createSignatureCheck, decodeWithoutSignature } from './verify-id-token.js'

/** How many verified ID tokens a manager keeps (least recently used ones leave first). */
export const IDENTITY_CACHE_SIZE = 1_000

/** What the identity reader needs from the manager. */
export interface IdentityReaderDeps {
  baseUrl: string
  clientId: string
  clock: () => number
  options: ResolvedIdentityOptions
}

/** Reads the verified identity of a session's token set. */
export type IdentityReader = (tokens: TokenSet | null) => Promise<ShopperIdentity | null>

/**
 * Creates the identity reader of one token manager.
 *
 * @throws {BoltTokenError} (from the reader) `ID_TOKEN_INVALID`; when the signature is checked
 *   and Bolt's keys cannot be had, `NETWORK_ERROR`, `TIMEOUT`, `SERVER_ERROR` or
 *   `INVALID_RESPONSE`.
 */
export function createIdentityReader(deps: IdentityReaderDeps): IdentityReader {
  const { clientId, clock, options } = deps
  const issuer = normalizeIssuer(deps.baseUrl)
  const checkSignature = options.verifySignature
    ? createSignatureCheck(deps.baseUrl, options.timeoutMs)
    : undefined
  // Keyed by the ID token itself; a Map keeps insertion order, which makes it an LRU.
  const verified = new Map<string, Promise<ShopperIdentity>>()

  async function verify(idToken: string): Promise<ShopperIdentity> {
    const payload =
      checkSignature === undefined ? decodeWithoutSignature(idToken) : await checkSignature(idToken)
    const checked = checkClaims(payload, { issuer, clientId })
    if ('refused' in checked) throw idTokenInvalid(checked.refused)
    return checked.identity
  }

  function verifiedIdentity(idToken: string): Promise<ShopperIdentity> {
    let entry = verified.get(idToken)
    if (entry !== undefined) {
      verified.delete(idToken)
    } else {
      // Concurrent calls for one token share one verification; a failure is not kept.
      entry = verify(idToken)
      entry.catch(() => {
        if (verified.get(idToken) === entry) verified.delete(idToken)
      })
      if (verified.size >= IDENTITY_CACHE_SIZE) {
        const oldest = verified.keys().next()
        if (oldest.done !== true) verified.delete(oldest.value)
      }
    }
    verified.set(idToken, entry)
    return entry
  }

  return async (tokens) => {
    const idToken = tokens?.idToken
    if (tokens === null || tokens === undefined || idToken === undefined) return null
    const identity = await verifiedIdentity(idToken.reveal())
    // Records written before idTokenReceivedAt existed: a set that may manage came from the
    // login that delivered this ID token (a refresh never grants manage).
    const receivedAt =
      tokens.idTokenReceivedAt ?? (canManage(tokens) ? tokens.obtainedAt : undefined)
    const refused = checkTimes(identity, {
      now: clock(),
      leewayMs: options.leewayMs,
      receivedAt,
    })
    if (refused !== undefined) throw idTokenInvalid(refused)
    return identity
  }
}
