/**
 * Saving unsaved tokens without waiting for a caller. Tokens Bolt issued whose save the store
 * could not confirm (a failed write, a replica that did not acknowledge it) are kept by the
 * instance that got them (unsaved-tokens.ts) and saved on its next call for the session. That
 * call may come after the lease has ended, or never; another instance would then take the
 * refresh over and present the refresh token Bolt has spent, or abandon the login. So the
 * instance also saves them by itself: until a lease length after the lease's end, it reads the
 * session now and then and, whenever it shows that refresh or login again (a failover may bring
 * it back after a save that landed but was not confirmed), saves the tokens as a call would,
 * fenced by version.
 *
 * @module
 */
import type { ResolvedOptions } from './options.js'
import type { LoadedSession, SessionIO } from './session-io.js'
import { type UnsavedTokenMap, type UnsavedTokens, unsavedFor } from './unsaved-tokens.js'

/** The first and the longest wait between two reads. */
const SAVE_RETRY_FIRST_MS = 100
const SAVE_RETRY_MAX_MS = 500

/** What {@link createSaveSoon} needs. */
export interface SaveSoonDeps {
  options: Pick<ResolvedOptions, 'leaseClock' | 'leaseMs'>
  io: Pick<SessionIO, 'load'>
  unsaved: UnsavedTokenMap
  /** Saves the held tokens through the protocol, from the session as read. */
  save: (sessionId: string, loaded: LoadedSession) => Promise<unknown>
}

/** Creates `saveSoon(sessionId, held)`: see the module documentation. */
export function createSaveSoon({ options, io, unsaved, save }: SaveSoonDeps) {
  return function saveSoon(sessionId: string, held: UnsavedTokens): void {
    const giveUpAt = held.lease.until + options.leaseMs
    const attempt = (delayMs: number) => {
      const timer = setTimeout(async () => {
        if (unsaved.get(sessionId) !== held || options.leaseClock.now() > giveUpAt) return
        let next = SAVE_RETRY_MAX_MS
        try {
          const loaded = await io.load(sessionId)
          if (unsavedFor(held, loaded) !== undefined) await save(sessionId, loaded)
        } catch {
          next = Math.min(delayMs * 2, SAVE_RETRY_MAX_MS)
        }
        attempt(next)
      }, delayMs)
      // Never keeps a process alive on its own.
      ;(timer as { unref?: () => void }).unref?.()
    }
    attempt(SAVE_RETRY_FIRST_MS)
  }
}
