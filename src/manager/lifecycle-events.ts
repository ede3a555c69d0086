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

/** Everything {@link TokenManager.subscribe} reports. */
export type LifecycleEvent = TransitionEvent | ErrorEvent
