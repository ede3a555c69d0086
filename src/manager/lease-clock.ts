/**
 * The clock leases are set and compared on: the store's own, so that instances whose clocks
 * disagree by any amount still agree on when a lease ends (DESIGN §5).
 *
 * - A store in this process with a `clock` (the memory store) is read directly.
 * - A store across the network with `time()` (Redis `TIME`, PostgreSQL `clock_timestamp()`,
 *   a Durable Object's clock) is sampled: one round trip reads the store's time, and this
 *   process's monotonic clock carries it on. No step of the manager's wall clock moves it.
 *   It is read again every {@link LEASE_CLOCK_RESAMPLE_MS}, so drift between the two clocks
 *   stays tiny. A sample is off by at most half its round trip.
 * - A store with neither (Deno KV has no clock to read) leaves leases on the manager's clock:
 *   instances must then agree on the time within `leaseMs`.
 *
 * @module
 */
import type { MaybePromise, TokenStore } from '../contracts.js'
import { storeUnavailable } from '../errors.js'

/** How long one reading of the store's clock is trusted, in monotonic milliseconds. */
export const LEASE_CLOCK_RESAMPLE_MS = 60_000

/** The store's time, as leases use it. */
export interface LeaseClock {
  /**
   * Makes {@link LeaseClock.now} current: nothing to do (`undefined`) unless the store's
   * clock must be sampled, which costs one round trip. Rejects with `STORE_UNAVAILABLE` when
   * the store cannot be read.
   */
  sync(): MaybePromise<void>
  /** The store's time now (epoch ms), as of the last {@link LeaseClock.sync}. */
  now(): number
  /** Where the time comes from: `store` (read or sampled) or `manager` (no store clock). */
  readonly source: 'store' | 'manager'
}

/** Creates the lease clock of one manager, on `store` and the manager's `clock`. */
export function createLeaseClock(
  store: Pick<TokenStore, 'clock' | 'time'>,
  clock: () => number,
): LeaseClock {
  const storeClock = store.clock
  if (storeClock !== undefined) {
    return { sync: () => undefined, now: () => storeClock(), source: 'store' }
  }
  if (store.time === undefined) return { sync: () => undefined, now: clock, source: 'manager' }
  return sampledClock(store.time.bind(store))
}

/**
 * The store's clock read across the network: one sample of it, moved on by this process's
 * monotonic time, so that no step of the manager's clock (NTP, a VM resumed, a test's fake
 * clock) moves it.
 */
function sampledClock(readTime: () => Promise<number>): LeaseClock {
  let sampledTime = 0
  let sampledAt = Number.NEGATIVE_INFINITY
  let sampling: Promise<void> | undefined

  async function sample(): Promise<void> {
    const startedAt = performance.now()
    let storeTime: number
    try {
      storeTime = await readTime()
    } catch (cause) {
      throw storeUnavailable("read the store's clock", cause)
    }
    if (!Number.isFinite(storeTime)) {
      throw storeUnavailable("read the store's clock", new TypeError('time() gave no epoch ms'))
    }
    const answeredAt = performance.now()
    // The store read its clock somewhere inside the round trip: its middle is the best guess.
    sampledTime = storeTime
    sampledAt = (startedAt + answeredAt) / 2
  }

  return {
    source: 'store',
    sync() {
      if (performance.now() - sampledAt < LEASE_CLOCK_RESAMPLE_MS) return undefined
      sampling ??= sample().finally(() => {
        sampling = undefined
      })
      return sampling
    },
    now: () => sampledTime + (performance.now() - sampledAt),
  }
}
