// The lease clock: leases are set and compared on the store's time. A store in this process is
// read directly; one across the network is sampled once a minute and carried on with this
// process's monotonic clock, so no step of the manager's wall clock moves it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLeaseClock, LEASE_CLOCK_RESAMPLE_MS } from '../../src/manager/lease-clock.js'
import { rejection } from '../support/rejection.js'

const STORE_TIME = Date.UTC(2026, 11, 4, 12)

/** A store clock read across the network: counts its reads, answers `answer()`. */
function remoteClock(answer: () => number | Promise<number> = () => STORE_TIME) {
  const clock = {
    reads: 0,
    time: async () => {
      clock.reads += 1
      return answer()
    },
  }
  return clock
}

/** Monotonic time the test moves. */
function fakeMonotonic(start = 1_000) {
  let now = start
  vi.spyOn(performance, 'now').mockImplementation(() => now)
  return (ms: number) => {
    now += ms
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('createLeaseClock', () => {
  it("reads an in-process store's clock directly, with nothing to sync", () => {
    let storeNow = 5_000
    const leaseClock = createLeaseClock({ clock: () => storeNow }, () => 1)
    expect(leaseClock.source).toBe('store')
    expect(leaseClock.sync()).toBeUndefined()
    expect(leaseClock.now()).toBe(5_000)
    storeNow = 9_000
    expect(leaseClock.now()).toBe(9_000)
  })

  it("falls back to the manager's clock for a store with no clock (Deno KV)", () => {
    const leaseClock = createLeaseClock({}, () => 42)
    expect(leaseClock.source).toBe('manager')
    expect(leaseClock.sync()).toBeUndefined()
    expect(leaseClock.now()).toBe(42)
  })

  it("samples a remote store's time once, then carries it on with monotonic time; the manager's wall clock does not move it", async () => {
    const advance = fakeMonotonic()
    const store = remoteClock()
    let wall = STORE_TIME - 7_200_000 // the manager runs two hours behind
    const leaseClock = createLeaseClock(store, () => wall)

    const first = leaseClock.sync()
    expect(first).toBeInstanceOf(Promise)
    await first
    expect(store.reads).toBe(1)
    expect(leaseClock.now()).toBe(STORE_TIME)

    advance(1_500)
    wall += 86_400_000 // a wall-clock step of a day: ignored
    expect(leaseClock.sync()).toBeUndefined()
    expect(leaseClock.now()).toBe(STORE_TIME + 1_500)
    expect(store.reads).toBe(1)
  })

  it('reads the store again after LEASE_CLOCK_RESAMPLE_MS, once however many callers sync', async () => {
    const advance = fakeMonotonic()
    let storeTime = STORE_TIME
    const store = remoteClock(() => storeTime)
    const leaseClock = createLeaseClock(store, () => 0)
    await leaseClock.sync()

    advance(LEASE_CLOCK_RESAMPLE_MS)
    storeTime = STORE_TIME + LEASE_CLOCK_RESAMPLE_MS + 250 // the clocks drifted 250 ms apart
    const syncs = [leaseClock.sync(), leaseClock.sync(), leaseClock.sync()]
    expect(syncs[0]).toBeInstanceOf(Promise)
    expect(syncs[1]).toBe(syncs[0])
    await Promise.all(syncs)
    expect(store.reads).toBe(2)
    expect(leaseClock.now()).toBe(STORE_TIME + LEASE_CLOCK_RESAMPLE_MS + 250)
  })

  it("places the store's reading in the middle of the round trip", async () => {
    let monotonic = 1_000
    vi.spyOn(performance, 'now').mockImplementation(() => monotonic)
    const store = remoteClock(async () => {
      monotonic += 400 // a 400 ms round trip
      return STORE_TIME
    })
    const leaseClock = createLeaseClock(store, () => 0)
    await leaseClock.sync()
    // Read 200 ms before the answer arrived.
    expect(leaseClock.now()).toBe(STORE_TIME + 200)
  })

  it('a store that cannot tell its time fails the sync with STORE_UNAVAILABLE, and the next sync tries again', async () => {
    fakeMonotonic()
    let answer: () => number = () => {
      throw new Error('connect ECONNREFUSED')
    }
    const store = remoteClock(() => answer())
    const leaseClock = createLeaseClock(store, () => 0)
    const failed = await rejection(Promise.resolve(leaseClock.sync()))
    expect(failed.code).toBe('STORE_UNAVAILABLE')
    expect(failed.message).toContain("read the store's clock")

    answer = () => Number.NaN
    expect((await rejection(Promise.resolve(leaseClock.sync()))).code).toBe('STORE_UNAVAILABLE')

    answer = () => STORE_TIME
    await leaseClock.sync()
    expect(leaseClock.now()).toBe(STORE_TIME)
    expect(store.reads).toBe(3)
  })
})
