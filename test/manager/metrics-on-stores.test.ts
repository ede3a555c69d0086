/**
 * Issue 18: metrics and `checkHealth()` on the shared stores merchants run, real Redis and real
 * PostgreSQL: a stampede of two instances on one expired session (one refresh, the waits
 * recorded), a healthy report, and a store that cannot be reached (counted as a store error,
 * reported as not ok).
 */
import { metrics } from '@opentelemetry/api'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, afterEach, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createPostgresStore } from '../../adapters/storage/postgres.js'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import type { TokenStore } from '../../src/contracts.js'
import { METRICS as M } from '../../src/telemetry/metrics.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { createMetricsReader, histograms, sums } from '../support/metrics-reader.js'
import { createTestPool, describePostgres, randomTable } from '../support/postgres.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { freePort } from '../support/redis-server.js'
import { rejection } from '../support/rejection.js'

const GRANT = 'bolt.oauth.grant_type'
const OUTCOME = 'bolt.oauth.outcome'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const readers: ReturnType<typeof createMetricsReader>[] = []
const cleanups: (() => Promise<unknown> | undefined)[] = []
afterEach(async () => {
  metrics.disable()
  await Promise.all(readers.splice(0).map((reader) => reader.shutdown()))
})
afterAll(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

interface SharedStore {
  /** A store on the real engine, fresh per test. */
  open(): TokenStore
  /** The same store's engine on a port where nothing listens. */
  unreachable(): Promise<TokenStore>
}

const redis: SharedStore = {
  open() {
    const client = createTestRedis()
    const store: RedisStore = createRedisStore(client, { prefix: randomPrefix() })
    cleanups.push(async () => {
      await store.close()
      await client.quit()
    })
    return store
  },
  async unreachable() {
    const client = new Redis({
      host: '127.0.0.1',
      port: await freePort(),
      commandTimeout: 300,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    })
    client.on('error', () => {})
    cleanups.push(async () => client.disconnect())
    return createRedisStore(client, { prefix: randomPrefix(), onWarning: () => {} })
  },
}

const postgres: SharedStore = {
  open() {
    const store = createPostgresStore(createTestPool(), { table: randomTable() })
    // Before the pool ends: the store holds a connection to LISTEN on.
    cleanups.push(() => store.close())
    return store
  },
  async unreachable() {
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: await freePort(),
      user: 'postgres',
      database: 'test',
      connectionTimeoutMillis: 300,
    })
    pool.on('error', () => {})
    cleanups.push(() => pool.end())
    return createPostgresStore(pool, { table: randomTable() })
  },
}

function storeTests(shared: SharedStore) {
  it('a stampede of two instances on one expired session: one refresh, each waiting call records its wait, the holder the request', async () => {
    const bolt = await startEmulator()
    const reader = createMetricsReader()
    readers.push(reader)
    const store = shared.open()
    const gate = createGatedTransport(createFetchTransport())
    const holder = managerFor(bolt, gate, { store, meter: reader.meter })
    const waiter = managerFor(bolt, createFetchTransport(), {
      store,
      meter: reader.meter,
      pollIntervalMs: 20,
    })
    try {
      const login = holder.exchangeCode('shopper-1', { code: bolt.login().code })
      ;(await gate.nextRequest()).release()
      await login
      bolt.advanceClock(PAST_EXPIRY_MS)

      const refreshing = holder.getAccessToken('shopper-1')
      const held = await gate.nextRequest()
      const waitStarted = performance.now()
      const waiting = waiter.getAccessToken('shopper-1')
      await sleep(80)
      held.release()
      const waitWindowS = (performance.now() - waitStarted) / 1000
      const [token, waited] = await Promise.all([refreshing, waiting])
      expect(waited).toBe(token)

      const read = await reader.read()
      const waits = histograms(read.get(M.leaseWait.name))
      expect(waits.map(({ attributes, count }) => ({ attributes, count }))).toEqual([
        { attributes: {}, count: 1 },
      ])
      // It waited, and no longer than the whole window it could have waited in (plus the read
      // that ended it).
      expect(waits[0]?.min).toBeGreaterThan(0)
      expect(waits[0]?.max).toBeLessThan(waitWindowS + 1)
      expect(sums(read.get(M.tokenRequests.name))).toEqual([
        { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, value: 1 },
        { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'ok' }, value: 1 },
      ])
      expect(read.get(M.storeErrors.name)).toBeUndefined()
      expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 1, reuseDetected: 0 })

      expect(await waiter.checkHealth()).toEqual({
        ok: true,
        store: { ok: true, latencyMs: expect.any(Number) },
        bolt: { ok: true, latencyMs: expect.any(Number), status: 403 },
      })
      expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 1 })
    } finally {
      gate.close()
    }
  })

  it('a store that cannot be reached: STORE_UNAVAILABLE counted once by operation, and checkHealth says the store is not ok', async () => {
    const bolt = await startEmulator()
    const reader = createMetricsReader()
    readers.push(reader)
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: await shared.unreachable(),
      meter: reader.meter,
    })
    expect((await rejection(tokens.getAccessToken('shopper-1'))).code).toBe('STORE_UNAVAILABLE')
    const read = await reader.read()
    expect(sums(read.get(M.storeErrors.name))).toEqual([
      { attributes: { 'bolt.operation': 'getAccessToken' }, value: 1 },
    ])
    expect(await tokens.checkHealth()).toEqual({
      ok: false,
      store: { ok: false, latencyMs: expect.any(Number), error: 'STORE_UNAVAILABLE' },
      bolt: { ok: true, latencyMs: expect.any(Number), status: 403 },
    })
    expect(bolt.stats.tokenRequests).toBe(1)
  })
}

describeRedis('metrics and checkHealth on Redis', () => storeTests(redis))
describePostgres('metrics and checkHealth on PostgreSQL', () => storeTests(postgres))
