/**
 * The waiting side of the refresh protocol (DESIGN §5 rule 3): a caller that finds another
 * holder's live lease waits for the session to change, with one subscription however many
 * times it waits. It also times the lease it watches on its own monotonic clock: a lease seen
 * unchanged for a whole `leaseMs` has ended, whatever the holder's clock says (rule 5).
 *
 * @module
 */
import type { Lease } from '../machine/token-machine.js'
import { sameLease } from './decide.js'
import type { LifecycleEvent } from './lifecycle-events.js'
import type { ResolvedOptions } from './options.js'
import type { LoadedSession, SessionIO, SessionWatch } from './session-io.js'

/** What a lease waiter needs. */
export interface LeaseWaiterDeps {
  options: ResolvedOptions
  io: SessionIO
  /** The manager's one safe emit: it never throws. */
  emit: (event: LifecycleEvent) => void
}

/** One refresh loop's waiting: see {@link createLeaseWaiter}. */
export interface LeaseWaiter {
  /** Whether this loop has waited for another holder. */
  waited(): boolean
  /** The lease watched unchanged for a whole `leaseMs`, if any: it has ended. */
  outlived(): Lease | undefined
  /**
   * Waits for the session to change, the poll interval, `lease` to end (by the store's time
   * `leaseNow`, or by being outlived), or the caller's deadline (`deadlineLeftMs` from now).
   */
  wait(loaded: LoadedSession, lease: Lease, leaseNow: number, deadlineLeftMs: number): Promise<void>
  /** Ends the subscription and reports how long the loop waited, if it did. */
  stop(): void
}

/** Creates the waiter of one refresh loop on `sessionId`. */
export function createLeaseWaiter(
  { options, io, emit }: LeaseWaiterDeps,
  sessionId: string,
): LeaseWaiter {
  let waitingSince: number | undefined
  let watched: { lease: Lease; since: number } | undefined
  let watch: SessionWatch | undefined
  return {
    waited: () => waitingSince !== undefined,
    outlived: () =>
      watched !== undefined && performance.now() - watched.since >= options.leaseMs
        ? watched.lease
        : undefined,
    async wait(loaded, lease, leaseNow, deadlineLeftMs) {
      const seen =
        watched !== undefined && sameLease(watched.lease, lease)
          ? watched
          : { lease, since: performance.now() }
      watched = seen
      waitingSince ??= performance.now()
      watch ??= await io.watch(sessionId, loaded.version)
      // Poll at least every pollIntervalMs, and wake when the lease ends by either clock.
      const untilLeaseEnds = lease.until - leaseNow + 1
      const untilOutlived = seen.since + options.leaseMs - performance.now()
      const longest = Math.min(
        options.pollIntervalMs,
        untilLeaseEnds,
        untilOutlived,
        deadlineLeftMs,
      )
      await watch.next(Math.max(1, longest))
    },
    stop() {
      watch?.stop()
      if (waitingSince !== undefined) {
        const waitedMs = performance.now() - waitingSince
        emit({ type: 'leaseContention', sessionId, waitedMs, at: options.clock() })
      }
    },
  }
}
