/**
 * Turns what a manager already reports into OpenTelemetry metrics (src/telemetry/metrics.ts):
 * its lifecycle events, the errors its methods reject with, and the length of its line of
 * refreshes. Nothing here reads a session id or a token: attributes are grants, codes and states.
 *
 * @module
 */
import { type BoltTokenError, isBoltTokenError } from '../errors.js'
import {
  METRIC_ATTRIBUTES as A,
  type Instruments,
  instrumentsOf,
  type MeterLike,
  type Queue,
} from '../telemetry/metrics.js'
import type { LifecycleEvent } from './lifecycle-events.js'

/** The manager methods whose failures are counted, and `background` for `error` events. */
export type MeteredOperation =
  | 'exchangeCode'
  | 'getAccessToken'
  | 'getStatus'
  | 'getIdentity'
  | 'logout'
  | 'background'

/** What a manager reports to its metrics. Neither method throws. */
export interface MetricsRecorder {
  /** A lifecycle event (subscribe it to the manager's emitter). */
  record(event: LifecycleEvent): void
  /** A public method rejected with `error`. */
  rejected(operation: MeteredOperation, error: unknown): void
}

/** Events held while the global meter loads: the first few, a burst at start-up at most. */
const MAX_PENDING = 1_000

/**
 * Creates the recorder of one manager. `meter` is asked for on every record (the global one
 * may change); until `ready` settles (when given), records are held and then replayed.
 */
export function createMetricsRecorder(
  meter: () => MeterLike | undefined,
  ready: Promise<void> | undefined,
  queue: Queue,
): MetricsRecorder {
  const queueRef = new WeakRef(queue)
  const registered = new WeakSet<Instruments>()
  // A store failure reaches every caller that shared the failed call: count it once.
  const countedErrors = new WeakSet<BoltTokenError>()
  let pending: ((instruments: Instruments) => void)[] | undefined =
    ready === undefined ? undefined : []

  function instruments(): Instruments | undefined {
    const current = meter()
    if (current === undefined) return undefined
    const found = instrumentsOf(current)
    if (!registered.has(found)) {
      registered.add(found)
      found.queues.add(queueRef)
    }
    return found
  }

  function write(recording: (instruments: Instruments) => void): void {
    try {
      if (pending !== undefined) {
        if (pending.length < MAX_PENDING) pending.push(recording)
        return
      }
      const found = instruments()
      if (found !== undefined) recording(found)
    } catch {
      // metrics are best effort: a failing meter must not break what it measures
    }
  }

  // Registers the queue with the meter's instruments, so its length is reported from now on.
  const start = () => write(() => {})
  if (ready === undefined) start()
  else {
    void ready.then(() => {
      const held = pending ?? []
      pending = undefined
      start()
      for (const recording of held) write(recording)
    })
  }

  function storeError(operation: MeteredOperation, error: BoltTokenError): void {
    if (countedErrors.has(error)) return
    countedErrors.add(error)
    write((found) => found.storeErrors.add(1, { [A.operation]: operation }))
  }

  return {
    record(event) {
      switch (event.type) {
        case 'tokenRequest': {
          const attributes = { [A.grantType]: event.grant, [A.outcome]: event.outcome }
          const seconds = event.durationMs / 1_000
          write((found) => {
            found.tokenRequests.add(1, attributes)
            found.tokenDuration.record(seconds, attributes)
          })
          return
        }
        case 'leaseContention': {
          const seconds = event.waitedMs / 1_000
          write((found) => found.leaseWait.record(seconds))
          return
        }
        case 'leaseTakenOver': {
          const attributes = { [A.leaseState]: event.state, [A.takeoverReason]: event.reason }
          write((found) => found.takeovers.add(1, attributes))
          return
        }
        case 'error':
          if (event.error.code === 'STORE_UNAVAILABLE') storeError('background', event.error)
          return
        default:
          return
      }
    },
    rejected(operation, error) {
      if (isBoltTokenError(error, 'STORE_UNAVAILABLE')) storeError(operation, error)
      else if (operation === 'getAccessToken' && isBoltTokenError(error, 'SCOPE_REQUIRED')) {
        write((found) => found.scopeRequired.add(1))
      }
    },
  }
}
