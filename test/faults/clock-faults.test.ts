/**
 * Clock faults: the manager's clock jumps forward and backward, instances disagree about the
 * time, and `refreshSkewMs` is set at or past the token's lifetime. The manager's clock is a
 * variable the test moves; the emulator starts at the same instant and is moved with it.
 *
 * What the lease rows show: a lease's `until` is set and compared on the store's clock
 * (src/manager/lease-clock.ts), so the instances' clocks may disagree by any amount:
 * - a holder whose clock runs BEHIND keeps its live lease; the others wait for its answer;
 * - a holder whose clock runs AHEAD and hangs loses its lease `leaseMs` after taking it.
 * On a store with no clock (Deno KV), leases use each instance's clock, and both limits are
 * back: AHEAD is caught by a waiter watching the lease outlive a whole `leaseMs` of its own
 * monotonic time (`outlived`, with a warning naming the clocks); BEHIND by more than
 * `leaseMs` has its live lease taken over at once, and Bolt sees the refresh token twice
 * (inside a grace window both get the same tokens). Instances on such a store must agree on
 * the time within `leaseMs` (docs/stores/deno-kv.md).
 */
import type { Redis } from 'ioredis'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { createRedisStore } from '../../adapters/storage/redis.js'
import type { HttpResponse, HttpTransport, TokenStore } from '../../src/contracts.js'
import { type BoltEmulatorOptions, tokenHash } from '../../src/emulator/index.js'
import type { TokenManagerOptions } from '../../src/manager/options.js'
import { createTokenManager } from '../../src/manager/token-manager.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { accountStatus, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { rejection } from '../support/rejection.js'
import { SESSION, storedRecord } from './fault-table.js'

const T0 = Date.parse('2030-01-01T00:00:00Z')
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** A manager on a clock the test moves, an emulator moved with it, and a shared store. */
async function clockScene(
  overrides: Partial<TokenManagerOptions> = {},
  emulator: BoltEmulatorOptions = {},
) {
  let now = T0
  const clock = () => now
  const bolt = await startEmulator({ now: T0, ...emulator })
  const store = overrides.store ?? createMemoryStore({ clock })
  const tokens = managerFor(bolt, createFetchTransport(), { clock, ...overrides, store })
  await tokens.exchangeCode(SESSION, { code: bolt.login().code })
  bolt.resetStats()
  return {
    bolt,
    store,
    tokens,
    clock,
    /** Moves the manager's clock and the emulator's by `ms` (negative: back). */
    jump(ms: number) {
      now += ms
      bolt.advanceClock(ms)
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `store` as a store with no clock of its own: leases then use each instance's clock. */
function withoutClock(store: TokenStore): TokenStore {
  return {
    get: (key) => store.get(key),
    compareAndSet: (key, value, options) => store.compareAndSet(key, value, options),
    delete: (key) => store.delete(key),
    subscribe: (key, listener) => store.subscribe(key, listener),
  }
}

function refreshes(bolt: { requests: readonly { grantType: string; status: number }[] }) {
  return bolt.requests.filter((request) => request.grantType === 'refresh_token')
}

async function storedTokens(store: TokenStore) {
  return (await storedRecord(store))?.context.tokens
}

/** A transport whose requests never answer, whatever their deadline: a hung instance. */
function hungTransport() {
  const pending: ((error: Error) => void)[] = []
  let dead = false
  const died = () => new TypeError('fetch failed: instance died')
  return {
    pending,
    send() {
      if (dead) return Promise.reject(died())
      return new Promise<HttpResponse>((_, reject) => pending.push(reject))
    },
    /** The instance's network dies: every pending and later request fails. */
    die() {
      dead = true
      for (const reject of pending.splice(0)) reject(died())
    },
  } satisfies HttpTransport & Record<string, unknown>
}

describe('clock jumps', () => {
  it('forward past expiry → exactly one refresh, however many callers', async () => {
    const { bolt, store, tokens, clock, jump } = await clockScene()
    jump(PAST_EXPIRY_MS)

    const handed = await Promise.all(
      Array.from({ length: 5 }, () => tokens.getAccessToken(SESSION)),
    )

    expect(new Set(handed).size).toBe(1)
    expect(refreshes(bolt).map((r) => r.status)).toEqual([200])
    expect(await storedTokens(store)).toMatchObject({ expiresAt: clock() + HOUR_MS })
    expect(await tokens.getAccessToken(SESSION)).toBe(handed[0])
    expect(bolt.stats.tokenRequests).toBe(1)
    expect((await tokens.getStatus(SESSION)).state).toBe('viewOnly')
  })

  it('far forward (3 days) → one refresh, no loop', async () => {
    const { bolt, store, tokens, clock, jump } = await clockScene()
    jump(3 * DAY_MS)

    const first = await tokens.getAccessToken(SESSION)
    for (let call = 0; call < 3; call++) expect(await tokens.getAccessToken(SESSION)).toBe(first)

    expect(bolt.stats).toMatchObject({ tokenRequests: 1, refreshes: 1 })
    expect(await storedTokens(store)).toMatchObject({
      obtainedAt: clock(),
      expiresAt: clock() + HOUR_MS,
    })
    expect(await tokens.getStatus(SESSION)).toMatchObject({ state: 'viewOnly', lastError: null })
    expect(await accountStatus(bolt, first, 'read')).toBe(200)
  })

  it('far forward (2 days) while the refresh is in flight → that call still returns; the next refreshes once more', async () => {
    const { bolt, tokens, jump } = await clockScene()
    jump(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 150 })

    const inFlight = tokens.getAccessToken(SESSION)
    await vi.waitFor(() => expect(bolt.requests).toHaveLength(1))
    jump(2 * DAY_MS)
    const first = await inFlight

    // Its expiresAt counts from when it was sent, so by the moved clock it is already stale.
    expect(first.startsWith('at_')).toBe(true)
    expect(refreshes(bolt)).toHaveLength(1)
    const second = await tokens.getAccessToken(SESSION)
    expect(second).not.toBe(first)
    expect(await tokens.getAccessToken(SESSION)).toBe(second)
    expect(refreshes(bolt).map((r) => r.status)).toEqual([200, 200])
    expect(bolt.stats.reuseDetected).toBe(0)
  })

  it('backward (−2 h) after a refresh → the token still reads fresh: no refresh, no error', async () => {
    const { bolt, store, tokens, jump } = await clockScene()
    jump(PAST_EXPIRY_MS)
    const refreshed = await tokens.getAccessToken(SESSION)
    const before = await storedTokens(store)
    bolt.resetStats()

    jump(-2 * HOUR_MS)

    expect(await tokens.getAccessToken(SESSION)).toBe(refreshed)
    expect(bolt.stats.tokenRequests).toBe(0)
    expect(await tokens.getStatus(SESSION)).toMatchObject({
      state: 'viewOnly',
      expiresAt: before?.expiresAt,
      lastError: null,
    })
    expect(await storedRecord(store)).toMatchObject({ value: 'viewOnly', context: { lease: null } })
    expect(await accountStatus(bolt, refreshed, 'read')).toBe(200)
    // Time catches up: one refresh, as usual.
    jump(2 * HOUR_MS + PAST_EXPIRY_MS)
    expect(await tokens.getAccessToken(SESSION)).not.toBe(refreshed)
    expect(refreshes(bolt).map((r) => r.status)).toEqual([200])
  })

  it('backward (−2 h) after a login → still fully scoped, the manage token still handed out', async () => {
    const { bolt, tokens, jump } = await clockScene()
    const token = await tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' })
    jump(-2 * HOUR_MS)
    expect(await tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' })).toBe(token)
    expect(await tokens.getStatus(SESSION)).toMatchObject({ state: 'fullyScoped', canManage: true })
    expect(bolt.stats.tokenRequests).toBe(0)
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
  })

  it('forward past the session TTL (31 days) → the store has expired the session: NOT_AUTHENTICATED, no request', async () => {
    const { bolt, tokens, jump } = await clockScene()
    jump(31 * DAY_MS)
    const error = await rejection(tokens.getAccessToken(SESSION))
    expect(error.code).toBe('NOT_AUTHENTICATED')
    expect(bolt.stats.tokenRequests).toBe(0)
  })
})

/**
 * The shared stores the lease rows run on. Leases are set and compared on the store's clock,
 * which runs in real time here: a memory store on `Date.now`, and Redis (`TIME`, sampled).
 */
const clockedStores: { name: string; create: () => TokenStore; describe: typeof describe }[] = [
  { name: 'a memory store', create: () => createMemoryStore(), describe },
  {
    name: 'Redis',
    create: () => {
      const redis = createTestRedis()
      redisClients.push(redis)
      return createRedisStore(redis, { prefix: randomPrefix() })
    },
    describe: describeRedis as typeof describe,
  },
]
const redisClients: Redis[] = []
afterAll(() => Promise.all(redisClients.map((redis) => redis.quit())))

for (const shared of clockedStores) {
  shared.describe(`instances whose clocks disagree, on ${shared.name}`, () => {
    it('a holder whose clock runs 10 min behind (far more than leaseMs) keeps its lease: the others wait for its answer, and Bolt sees the refresh token once', async () => {
      const store = shared.create()
      const { bolt, tokens, clock, jump } = await clockScene({ store })
      // 75 minutes on: even by the holder's clock, 10 minutes behind, the token has expired.
      jump(75 * 60_000)
      const presented = (await storedTokens(store))?.refreshToken
      const gate = createGatedTransport(createFetchTransport())
      const behind = managerFor(bolt, gate, { store, clock: () => clock() - 10 * 60_000 })
      try {
        const behindCall = behind.getAccessToken(SESSION)
        const held = await gate.nextRequest()

        // By this manager's clock the lease ended long ago; by the store's it is live.
        const call = tokens.getAccessToken(SESSION)
        await sleep(300)
        expect(bolt.requests).toHaveLength(0)
        held.release()
        const token = await call
        expect(await behindCall).toBe(token)

        expect(tokens.takeovers).toEqual([])
        expect(tokens.transitions.map((t) => t.event)).not.toContain('LEASE_TAKEN_OVER')
        expect(refreshes(bolt).map((r) => r.status)).toEqual([200])
        expect(bolt.requests.map((r) => r.refreshTokenHash)).toEqual([tokenHash(presented ?? '')])
        expect(bolt.stats).toMatchObject({ refreshes: 1, graceReissues: 0, reuseDetected: 0 })
        expect(await accountStatus(bolt, token, 'read')).toBe(200)
      } finally {
        gate.close()
      }
    })

    it("a holder whose clock runs 2 h ahead and hangs: its lease ends leaseMs after it was taken, by the store's clock; another manager then takes it over (expired) without a clock warning", async () => {
      const timing = { timeoutMs: 300, leaseMs: 1_300, pollIntervalMs: 100 }
      const warnings: { fields: Record<string, unknown>; message: string }[] = []
      const logger = {
        warn: (fields: Record<string, unknown>, message: string) =>
          warnings.push({ fields, message }),
      }
      const store = shared.create()
      const { bolt, tokens, clock, jump } = await clockScene({ ...timing, logger, store })
      jump(PAST_EXPIRY_MS)
      const hung = hungTransport()
      const ahead = managerFor(bolt, hung, { ...timing, store, clock: () => clock() + 2 * HOUR_MS })
      const takenAt = performance.now()
      const aheadCall = ahead.getAccessToken(SESSION).catch((error: unknown) => error)
      await vi.waitFor(() => expect(hung.pending).toHaveLength(1))
      const lease = (await storedRecord(store))?.context.lease
      // On the store's clock (real time here), not the holder's two hours ahead.
      expect(lease?.until).toBeGreaterThan(Date.now())
      expect(lease?.until).toBeLessThanOrEqual(Date.now() + timing.leaseMs)

      const token = await tokens.getAccessToken(SESSION)
      const waitedMs = performance.now() - takenAt

      // Generous above: a shared machine may pause us; the old behaviour waited two hours.
      expect(waitedMs).toBeGreaterThanOrEqual(timing.leaseMs - 100)
      expect(waitedMs).toBeLessThan(timing.leaseMs + 5_000)
      expect(tokens.takeovers).toMatchObject([{ state: 'refresh', reason: 'expired' }])
      expect(refreshes(bolt).map((r) => r.status)).toEqual([200])
      expect(await accountStatus(bolt, token, 'read')).toBe(200)
      expect(warnings.map((warning) => warning.message).join('\n')).not.toContain('clocks')

      // The hung holder's network dies late: its failure is fenced out. (By its clock, 2 h
      // ahead, the new token has expired too, so it tries one refresh of the new refresh token,
      // which cannot leave the instance and keeps that token.)
      const refreshedWith = (await storedTokens(store))?.refreshToken
      hung.die()
      expect(await aheadCall).toMatchObject({ name: 'BoltTokenError', code: 'NETWORK_ERROR' })
      expect(refreshes(bolt)).toHaveLength(1)
      expect((await storedTokens(store))?.refreshToken).toBe(refreshedWith)
      expect(await storedRecord(store)).toMatchObject({ context: { lease: null } })
    })
  })
}

describe("a store with no clock of its own (Deno KV): leases on the instances' clocks", () => {
  it('a lease from a clock 2 h ahead (holder hung) → a manager behind waits one leaseMs of its own time, then takes it over (outlived) and warns about the clocks', async () => {
    const timing = { timeoutMs: 300, leaseMs: 1_300, pollIntervalMs: 100 }
    const warnings: { fields: Record<string, unknown>; message: string }[] = []
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) =>
        warnings.push({ fields, message }),
    }
    const store = withoutClock(createMemoryStore())
    const { bolt, tokens, clock, jump } = await clockScene({ ...timing, logger, store })
    jump(PAST_EXPIRY_MS)
    const hung = hungTransport()
    const ahead = managerFor(bolt, hung, { ...timing, store, clock: () => clock() + 2 * HOUR_MS })
    void ahead.getAccessToken(SESSION).catch(() => undefined)
    await vi.waitFor(() => expect(hung.pending).toHaveLength(1))
    expect(await storedRecord(store)).toMatchObject({
      value: 'refresh',
      context: { lease: { until: clock() + 2 * HOUR_MS + timing.leaseMs } },
    })

    // By its own clock the lease has two hours to go; by its own monotonic time it has
    // outlived any request its holder can still have in flight.
    const started = performance.now()
    const token = await tokens.getAccessToken(SESSION)
    const waitedMs = performance.now() - started

    expect(waitedMs).toBeGreaterThanOrEqual(timing.leaseMs)
    expect(waitedMs).toBeLessThan(timing.leaseMs + 5_000)
    expect(tokens.takeovers).toMatchObject([{ state: 'refresh', reason: 'outlived' }])
    expect(refreshes(bolt).map((r) => r.status)).toEqual([200])
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.fields).toMatchObject({ state: 'refresh', reason: 'outlived' })
    expect(warnings[0]?.message).toContain("synchronise the instances' clocks")
    hung.die()
  })

  it('a lease from a clock 60 s behind (more than leaseMs) is taken over at once: Bolt sees the refresh token twice (inside a grace window, both get the same tokens)', async () => {
    const store = withoutClock(createMemoryStore())
    const { bolt, tokens, clock, jump } = await clockScene({ store }, { refreshGraceMs: 60_000 })
    jump(PAST_EXPIRY_MS)
    const presented = (await storedTokens(store))?.refreshToken
    const gate = createGatedTransport(createFetchTransport())
    const behind = managerFor(bolt, gate, { store, clock: () => clock() - 60_000 })
    try {
      const behindCall = behind.getAccessToken(SESSION)
      const held = await gate.nextRequest()

      // The lease is live for its holder, but already over by this manager's clock.
      const token = await tokens.getAccessToken(SESSION)
      expect(tokens.transitions.map((t) => t.event)).toContain('LEASE_TAKEN_OVER')
      held.release()
      expect(await behindCall).toBe(token)

      expect(refreshes(bolt).map((r) => r.status)).toEqual([200, 200])
      const hash = tokenHash(presented ?? '')
      expect(bolt.requests.map((r) => r.refreshTokenHash)).toEqual([hash, hash])
      expect(bolt.stats).toMatchObject({ refreshes: 1, graceReissues: 1, reuseDetected: 0 })
      expect(await accountStatus(bolt, token, 'read')).toBe(200)
    } finally {
      gate.close()
    }
  })
})

describe('refreshSkewMs against the one-hour token lifetime', () => {
  const base = { clientId: 'pk_test', clientSecret: 'sk_test' }

  it.each([3_600_000, 3_600_001, 7_200_000, DAY_MS, Number.POSITIVE_INFINITY, -1, Number.NaN])(
    'refreshSkewMs: %s is refused at construction with INVALID_ARGUMENT naming the option',
    (refreshSkewMs) => {
      let thrown: unknown
      try {
        createTokenManager({ ...base, refreshSkewMs })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toMatchObject({ name: 'BoltTokenError', code: 'INVALID_ARGUMENT' })
      expect((thrown as Error).message).toContain('`refreshSkewMs`')
    },
  )

  it('refreshSkewMs: 3_599_999 is accepted: a fresh token is handed out for exactly 1 ms, then refreshed', async () => {
    expect(() => createTokenManager({ ...base, refreshSkewMs: 3_599_999 })).not.toThrow()
    const { bolt, tokens, jump } = await clockScene({ refreshSkewMs: 3_599_999 })
    const login = await tokens.getAccessToken(SESSION)
    expect(bolt.stats.tokenRequests).toBe(0)
    jump(1)
    const refreshed = await tokens.getAccessToken(SESSION)
    expect(refreshed).not.toBe(login)
    expect(refreshes(bolt).map((r) => r.status)).toEqual([200])
    expect(await tokens.getAccessToken(SESSION)).toBe(refreshed)
  })
})
