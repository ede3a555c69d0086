/**
 * Tokens Bolt issued that the store failed to save, kept by the instance that got them until
 * its next call for the session saves them. Bolt has already spent what produced them (a
 * refresh token rotated, a code exchanged): dropping them would leave the session holding a
 * spent token, or log the shopper out although Bolt logged them in.
 *
 * @module
 */
import type { TokenSet } from '../machine/token-set.js'

/** Tokens waiting to be saved, and the record they belong to. */
export interface UnsavedTokens {
  /** The record version they belong after: once the session moves past it, they are stale. */
  version: number
  /** The event that saves them: a refresh's answer, or a login's. */
  event: 'REFRESH_SUCCEEDED' | 'EXCHANGE_SUCCEEDED'
  tokens: TokenSet
}

/** The unsaved tokens of one manager, by session id. */
export type UnsavedTokenMap = Map<string, UnsavedTokens>

/** Creates the (empty) map of one manager's unsaved tokens. */
export function createUnsavedTokens(): UnsavedTokenMap {
  return new Map()
}
