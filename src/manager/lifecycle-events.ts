/**
 * What {@link TokenManager.subscribe} reports.
 *
 * @module
 */
import type { BoltTokenError } from '../errors.js'
import type { TokenEvent, TokenState } from '../machine/token-machine.js'

/** A committed transition of one session. */
export interface TransitionEvent {
  type: 'transition'
  sessionId: string
  from: TokenState
  to: TokenState
  /** The machine event that caused it, e.g. `REFRESH_SUCCEEDED`. */
  event: TokenEvent['type']
  /** The manager's clock when it was committed (epoch ms). */
  at: number
}

/**
 * A failure no caller was told about: e.g. refreshed tokens that could not be saved
 * because the store failed (the caller still got its token).
 */
export interface ErrorEvent {
  type: 'error'
  sessionId: string
  /** Secret-free, like every error of this library. */
  error: BoltTokenError
  /** What the library did about it. */
  detail: string
  at: number
}

/**
 * This instance took over another instance's lease on a session: the holder of a refresh
 * or a login did not finish in time (it probably crashed or hung).
 */
export interface LeaseTakenOverEvent {
  type: 'leaseTakenOver'
  sessionId: string
  /** What the holder was doing. */
  state: 'refresh' | 'codeExchange'
  /**
   * `expired`: the lease had ended by this instance's clock. `outlived`: it had not, but it
   * stayed unchanged for a whole `leaseMs` of this instance's own time, so the holder's
   * clock runs ahead of this one's: check that every instance's clock is synchronised.
   */
  reason: 'expired' | 'outlived'
  at: number
}

/** Everything {@link TokenManager.subscribe} reports. */
export type LifecycleEvent = TransitionEvent | ErrorEvent | LeaseTakenOverEvent
