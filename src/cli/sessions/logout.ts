/**
 * `sessions logout <sessionId>`: ends one shopper's session through the token manager, so the
 * logout is the manager's own: a tombstone written by compare-and-set over whatever record is
 * there (one this command cannot even read included), which a refresh still in flight cannot
 * overwrite.
 *
 * @module
 */
import type { TokenState } from '../../machine/token-machine.js'
import type { FoundSession } from './admin-manager.js'

/** What `logout` did. */
export interface SessionLogout {
  command: 'logout'
  store: string
  /** The session's store key (an HMAC of its id, never the id). */
  storeKey: string
  /** The state it was in (`null`: its record could not be read; it is logged out all the same). */
  previousState: TokenState | null
  /** `true` when it was already logged out: nothing was written. */
  alreadyLoggedOut: boolean
  /** The record's version before and after (equal when nothing was written). */
  versionBefore: number
  versionAfter: number
}

/** Logs the session out through a token manager on `source`. */
export async function logoutSession(
  { source, tokens, storeKey, stored, errors }: FoundSession,
  sessionId: string,
): Promise<SessionLogout> {
  const before = await tokens.getStatus(sessionId)
  const unreadable = errors.some((event) => event.error.code === 'RECORD_UNREADABLE')
  await tokens.logout(sessionId)
  const after = await source.read(storeKey)
  const versionAfter = after?.version ?? stored.version
  return {
    command: 'logout',
    store: source.description,
    storeKey,
    previousState: unreadable ? null : before.state,
    alreadyLoggedOut: versionAfter === stored.version,
    versionBefore: stored.version,
    versionAfter,
  }
}
