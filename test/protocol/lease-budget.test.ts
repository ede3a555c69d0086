/**
 * Issue 14, items 2 and 5: a lease holder sends to Bolt only what fits in what is left of its
 * lease after the store round trips it still needs (measured, not assumed), and every
 * `getAccessToken` call has one deadline, `leaseMs + timeoutMs`, checked at every wait and
 * before every request.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { HttpTransport } from '../../src/contracts.js'
import { faults } from '../../src/emulator/index.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { slowStore } from '../support/store-wrappers.js'

/** How often each refresh token was presented to Bolt, by hash. */
function presentations(requests: readonly { refreshTokenHash?: string }[]): number[] {
  const counts = new Map<string, number>()
  for (const { refreshTokenHash } of requests) {
    if (refreshTokenHash !== undefined)
      counts.set(refreshTokenHash, (counts.get(refreshTokenHash) ?? 0) + 1)
  }
  return [...counts.values()]
}

describe('the lease budget', () => {
  it('a holder behind a slow store whose lease cannot fit the request does not send it; a faster instance refreshes once', async () => {
    const bolt = await startEmulator()
    const shared = createMemoryStore({ clock: bolt.now })
    const http = createFetchTransport()
    const timing = { timeoutMs: 1_000, leaseMs: 2_000, retry: false as const }
    // A reaches the store in 400 ms each way (under a 1 s command timeout); B is next to it.
    const a = managerFor(bolt, http, { ...timing, store: slowStore(shared, 400) })
    const b = managerFor(bolt, http, { ...timing, store: shared })
    await logIn(bolt, b, 'shopper')
    const loggedIn = await b.getAccessToken('shopper')
    bolt.advanceClock(PAST_EXPIRY_MS)
    // Bolt answers in 950 ms: inside timeoutMs, but not inside what the slow store leaves.
    bolt.injectFault({ type: 'delay', ms: 950 })
    const started = performance.now()
    const fromA = a.getAccessToken('shopper').then(
      (token) => ({ token }),
      (error: { code?: string; message?: string }) => ({
        code: error.code,
        message: error.message,
      }),
    )
    // B comes in right after A's lease would have ended.
    await new Promise((resolve) => setTimeout(resolve, 2_900))
    const fromB = await b.getAccessToken('shopper')
    const outcomeA = await fromA
    expect(performance.now() - started).toBeGreaterThan(2_800)

    expect(outcomeA).toMatchObject({ code: 'TIMEOUT' })
    expect(String((outcomeA as { message?: string }).message)).toMatch(/leaseMs/)
    expect(fromB).not.toBe(loggedIn)
    // Nobody presented a refresh token twice, and Bolt refused nothing.
    expect(presentations(bolt.requests)).toEqual([1])
    expect(bolt.stats).toMatchObject({ refreshes: 1, invalidGrants: 0 })
    expect(await b.getStatus('shopper')).toMatchObject({ state: 'viewOnly' })
  })

  it('with a lease long enough for the slow store, the slow holder refreshes itself', async () => {
    const bolt = await startEmulator()
    const shared = createMemoryStore({ clock: bolt.now })
    const http = createFetchTransport()
    const a = managerFor(bolt, http, {
      timeoutMs: 1_000,
      leaseMs: 3_000,
      retry: false,
      store: slowStore(shared, 400),
    })
    await logIn(bolt, a, 'shopper')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 950 })
    await a.getAccessToken('shopper')
    expect(bolt.stats).toMatchObject({ refreshes: 1, invalidGrants: 0 })
    expect(await a.getStatus('shopper')).toMatchObject({ state: 'viewOnly' })
  })

  it('leaseMs must exceed timeoutMs by the margin the round trips need', () => {
    expect(() =>
      managerFor(
        { clientId: 'x', clientSecret: 'y', url: 'http://127.0.0.1:1', now: Date.now } as never,
        createFetchTransport(),
        { timeoutMs: 1_000, leaseMs: 1_001 },
      ),
    ).toThrow(/`leaseMs` \(1001\) must be at least timeoutMs \+ 1000 \(2000\)/)
    expect(() =>
      managerFor(
        { clientId: 'x', clientSecret: 'y', url: 'http://127.0.0.1:1', now: Date.now } as never,
        createFetchTransport(),
        { timeoutMs: 1_000, leaseMs: 2_000 },
      ),
    ).not.toThrow()
  })
})

/** A crashed instance: its token request never ends (it does not even hear its deadline). */
const blackHole: HttpTransport = { send: () => new Promise(() => {}) }

/** Reaches the emulator after `ms` of network latency (honouring the request's deadline). */
function laggingTransport(ms: number): HttpTransport {
  const inner = createFetchTransport()
  return {
    async send(request) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms)
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(request.signal.reason)
        })
      })
      return inner.send(request)
    },
  }
}

describe('one deadline per getAccessToken call', () => {
  it('a caller behind a chain of holders that never return ends within 2 × leaseMs, and presents nothing it cannot finish', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const timing = { timeoutMs: 1_500, leaseMs: 2_500, pollIntervalMs: 100, store }
    await logIn(bolt, managerFor(bolt, createFetchTransport(), { store }), 'shopper')
    bolt.advanceClock(PAST_EXPIRY_MS)
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    // A takes the lease and hangs. C takes A's lease over when it ends and hangs too: B, whose
    // store answers 100 ms late, reads the session after C has, and watches C's lease from then on.
    void managerFor(bolt, blackHole, timing).getAccessToken('shopper')
    await sleep(50)
    void managerFor(bolt, blackHole, timing).getAccessToken('shopper')
    await sleep(1_000)
    // Bolt would answer B slowly with 503s (retried): an attempt started late runs long.
    const b = managerFor(bolt, laggingTransport(250), { ...timing, store: slowStore(store, 50) })
    bolt.injectFault(faults.html(503), { times: 5 })
    const started = performance.now()
    const error = await rejection(b.getAccessToken('shopper'))
    const elapsed = performance.now() - started
    // B watched C's lease outlive a whole leaseMs; by then less than one attempt was left.
    expect(error.code).toBe('REFRESH_WAIT_TIMEOUT')
    expect(elapsed).toBeLessThanOrEqual(2 * 2_500 + 150)
    expect(bolt.requests.filter((request) => request.grantType === 'refresh_token')).toEqual([])
  })
})
