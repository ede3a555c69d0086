/**
 * Tokens Bolt issued that the store failed to save, kept by the instance that got them until
 * its next call for the session saves them. Bolt has already spent what produced them (a
 * refresh token rotated, a code exchanged): dropping them would leave the session holding a
 * spent token, or log the shopper out although Bolt logged them in.
 *
 * @module
 */
import type { Lease } from '../machine/token-machine.js'
import type { TokenSet } from '../machine/token-set.js'
import { sameLease } from './decide.js'

/** Tokens waiting to be saved, and the record they belong to. */
export interface UnsavedTokens {
  /** The record version they belong after: once the session moves past it, they are stale. */
  version: number
  /** The event that saves them: a refresh's answer, or a login's. */
  event: 'REFRESH_SUCCEEDED' | 'EXCHANGE_SUCCEEDED'
  tokens: TokenSet
  /**
   * A login's: its lease. Another login that failed may have handed the session back to it at
   * a newer version: while the session is in `codeExchange` under this lease, they still belong.
   */
  lease?: Lease | null
}

/** The unsaved tokens of one manager, by session id. */
export type UnsavedTokenMap = Map<string, UnsavedTokens>

/** `held` if it belongs to the session as `loaded`, else `undefined`. */
export function unsavedFor(
  held: UnsavedTokens | undefined,
  loaded: { version: number; snapshot: { value: unknown; context: { lease: Lease | null } } },
): UnsavedTokens | undefined {
  if (held === undefined) return undefined
  if (held.version === loaded.version) return held
  const { value, context } = loaded.snapshot
  const ours = held.lease ?? null
  return held.event === 'EXCHANGE_SUCCEEDED' &&
    value === 'codeExchange' &&
    ours !== null &&
    sameLease(context.lease, ours)
    ? held
    : undefined
}

/**
 * Whether a login's unsaved tokens may still be saved: the session is in `codeExchange` and
 * names their lease, as its holder or as the login a newer one interrupted (which hands the
 * session back to it if it fails).
 */
export function stillAwaited(
  held: UnsavedTokens,
  loaded: {
    snapshot: { value: unknown; context: { lease: Lease | null; interruptedLogin: Lease | null } }
  },
): boolean {
  const { value, context } = loaded.snapshot
  const ours = held.lease ?? null
  if (held.event !== 'EXCHANGE_SUCCEEDED' || value !== 'codeExchange' || ours === null) return false
  return sameLease(context.lease, ours) || sameLease(context.interruptedLogin, ours)
}

/** Creates the (empty) map of one manager's unsaved tokens. */
export function createUnsavedTokens(): UnsavedTokenMap {
  return new Map()
}
