/**
 * What {@link TokenManager.subscribe} reports.
 *
 * @module
 */
import type { BoltTokenError } from '../errors.js'
import type { TokenEvent, TokenState } from '../machine/token-machine.js'

/**
 * A committed transition of one session.
 * @group Observability
 */
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
 * @group Observability
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
 * @group Observability
 */
export interface LeaseTakenOverEvent {
  type: 'leaseTakenOver'
  sessionId: string
  /** What the holder was doing. */
  state: 'refresh' | 'codeExchange'
  /**
   * `expired`: the lease had ended by the store's clock (`lease-clock.ts`; on a store with no
   * clock, such as Deno KV, by this instance's). `outlived`: it had not, but it stayed
   * unchanged for a whole `leaseMs` of this instance's own time, so the holder's clock runs
   * ahead of this one's (only on a store with no clock): synchronise every instance's clock.
   */
  reason: 'expired' | 'outlived'
  at: number
}

/**
 * This instance called Bolt's token endpoint for a session (retries included).
 * @group Observability
 */
export interface TokenRequestEvent {
  type: 'tokenRequest'
  sessionId: string
  /** `authorization_code`: a login or step-up; `refresh_token`: a refresh. */
  grant: 'authorization_code' | 'refresh_token'
  /** `ok`, or the {@link ErrorCode} it failed with (secret-free). */
  outcome: 'ok' | string
  /** From the first attempt to the last answer, in milliseconds (monotonic). */
  durationMs: number
  at: number
}

/**
 * A login on a session that could not manage the account (view-only or expired) restored manage.
 * @group Observability
 */
export interface StepUpEvent {
  type: 'stepUp'
  sessionId: string
  at: number
}

/**
 * A refresh replaced tokens that could manage the account: the session is view-only now.
 * @group Observability
 */
export interface DowngradeEvent {
  type: 'downgrade'
  sessionId: string
  at: number
}

/**
 * A call waited for another instance (or another call) that held the session's lease (a
 * refresh or a login in flight) before it could go on: lease contention.
 * @group Observability
 */
export interface LeaseContentionEvent {
  type: 'leaseContention'
  sessionId: string
  /** How long the call waited, in milliseconds (monotonic). */
  waitedMs: number
  at: number
}

/**
 * Everything {@link TokenManager.subscribe} reports.
 * @group Observability
 */
export type LifecycleEvent =
  | TransitionEvent
  | TokenRequestEvent
  | StepUpEvent
  | DowngradeEvent
  | LeaseContentionEvent
  | LeaseTakenOverEvent
  | ErrorEvent

/** Hands lifecycle events to a first sink (the logger) and to every subscribed listener. */
export interface LifecycleEmitter {
  /** Never throws: an observer's failure must not break, undo or hide what it observes. */
  emit(event: LifecycleEvent): void
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: LifecycleEvent) => void): () => void
}

/** Creates the manager's one {@link LifecycleEmitter}; `first` sees each event before listeners. */
export function createLifecycleEmitter(first: (event: LifecycleEvent) => void): LifecycleEmitter {
  const listeners = new Set<(event: LifecycleEvent) => void>()
  const deliver = (sink: (event: LifecycleEvent) => void, event: LifecycleEvent) => {
    try {
      sink(event)
    } catch {
      // one sink's failure must not keep the event from the others, nor from the caller
    }
  }
  return {
    emit(event) {
      deliver(first, event)
      for (const listener of listeners) deliver(listener, event)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
