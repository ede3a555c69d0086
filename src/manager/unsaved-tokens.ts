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

/** Tokens waiting to be saved, and the refresh or login they belong to. */
export interface UnsavedTokens {
  /** The event that saves them: a refresh's answer, or a login's. */
  event: 'REFRESH_SUCCEEDED' | 'EXCHANGE_SUCCEEDED'
  tokens: TokenSet
  /**
   * The lease of the refresh or login that got them. While the session is in that refresh or
   * login, under this lease, they belong to it, whatever its version (a login that interrupted
   * it and failed hands the session back to it at a newer one).
   */
  lease: Lease
}

/** The unsaved tokens of one manager, by session id. */
export type UnsavedTokenMap = Map<string, UnsavedTokens>

/** The part of a loaded session the matching below reads. */
interface SessionView {
  snapshot: {
    value: unknown
    context: {
      lease: Lease | null
      interruptedRefresh: Lease | null
      interruptedLogin: Lease | null
    }
  }
}

/**
 * Whether the session, as `loaded`, is still the refresh or login that got `held`: in
 * `refresh` (for a refresh's answer) or `codeExchange` (for a login's) under its lease.
 */
function heldBy(held: UnsavedTokens, { snapshot }: SessionView): boolean {
  const state = held.event === 'REFRESH_SUCCEEDED' ? 'refresh' : 'codeExchange'
  return snapshot.value === state && sameLease(snapshot.context.lease, held.lease)
}

/** `held` if it belongs to the session as `loaded` (see {@link UnsavedTokens.lease}). */
export function unsavedFor(
  held: UnsavedTokens | undefined,
  loaded: SessionView,
): UnsavedTokens | undefined {
  return held !== undefined && heldBy(held, loaded) ? held : undefined
}

/**
 * Whether unsaved tokens may still be saved: the session is still their refresh or login, or
 * a login that interrupted it (and hands the session back to it if that login fails).
 */
export function stillAwaited(held: UnsavedTokens, loaded: SessionView): boolean {
  if (heldBy(held, loaded)) return true
  const { value, context } = loaded.snapshot
  if (value !== 'codeExchange') return false
  const interrupted =
    held.event === 'REFRESH_SUCCEEDED' ? context.interruptedRefresh : context.interruptedLogin
  return sameLease(interrupted, held.lease)
}

/** Creates the (empty) map of one manager's unsaved tokens. */
export function createUnsavedTokens(): UnsavedTokenMap {
  return new Map()
}
