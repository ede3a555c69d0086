// The admin command on 100,000 sessions: `stats` reads them in batches (Redis SCAN, SQL keyset
// pagination) and holds one batch at a time. The records are seeded straight into the store
// (a Redis pipeline, one INSERT … SELECT generate_series) from four records the codec wrote for
// real sessions, so seeding takes seconds, not 100,000 logins.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { postgresStoreSchema } from '../../adapters/storage/postgres.js'
import { formatRecord } from '../../adapters/storage/redis-protocol.js'
import type { ScanPage } from '../../src/cli/sessions/source.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import {
  decodeSessionRecord,
  encodeSessionRecord,
  reviveSnapshot,
} from '../../src/manager/session-record.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import { PAST_EXPIRY_MS, startEmulatorForFile, storeKey } from '../support/harness.js'
import { createTestPool, describePostgres, postgresUrl, randomTable } from '../support/postgres.js'
import { describeRedis, randomPrefix, redisUrl } from '../support/redis.js'
import { type RedisServerProcess, startRedisServer } from '../support/redis-global-setup.js'
import { managerOn, runInProcess } from './sessions-helpers.js'

const redisServerPath: string | null = inject('redisServerPath')

const SESSIONS = 100_000
const BATCH = 1_000
/** Every tenth record ends within the hour. */
const SHORT_TTL_MS = 30 * 60_000
const LONG_TTL_MS = 2 * 24 * 3_600_000

/** One record per state the stats tell apart, as the codec encodes them. */
async function templates(bolt: BoltEmulator): Promise<string[]> {
  const store = createMemoryStore({ clock: bolt.now })
  const tokens = managerOn(bolt, store)
  const logIn = (id: string) => tokens.exchangeCode(id, { code: bolt.login().code })
  await logIn('expired')
  await logIn('view-only')
  bolt.advanceClock(PAST_EXPIRY_MS)
  await tokens.getAccessToken('view-only')
  await logIn('fully-scoped')
  await logIn('logged-out')
  await tokens.logout('logged-out')
  return Promise.all(
    ['expired', 'view-only', 'fully-scoped', 'logged-out'].map(async (id) => {
      const stored = await store.get(storeKey(bolt, id))
      const record = decodeSessionRecord(stored?.value ?? '')
      if (record === undefined) throw new Error(`no record for ${id}`)
      return encodeSessionRecord(reviveSnapshot(record))
    }),
  )
}

/** Record `index` is template `index % 4`: 25,000 of each. */
const EXPECTED_BY_STATE = {
  unauthenticated: SESSIONS / 4,
  codeExchange: 0,
  fullyScoped: SESSIONS / 4,
  expired: SESSIONS / 4,
  refresh: 0,
  viewOnly: SESSIONS / 4,
}

// A full garbage collection on demand, so the heap is measured as what stays reachable.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** What stays on the heap after a full collection, in bytes. */
function retainedHeap(): number {
  collectGarbage()
  return process.memoryUsage().heapUsed
}

/**
 * Runs `stats` and measures, every tenth batch, how much more the heap retains than before
 * the run: a scan that kept what it read would grow by the records read so far.
 */
async function statsWithHeap(argv: string[], bolt: BoltEmulator) {
  let growth = 0
  let batches = 0
  const before = retainedHeap()
  const run = await runInProcess(['stats', ...argv, '--batch', String(BATCH), '--json'], {
    env: {},
    clock: bolt.now,
    afterScan: async (_page: ScanPage) => {
      batches += 1
      if (batches % 10 === 0) growth = Math.max(growth, retainedHeap() - before)
    },
  })
  return { run, stats: JSON.parse(run.stdout), heapGrowth: growth }
}

/** All the records' text, in bytes: what holding every record at once would take at the least. */
function totalBytes(records: string[]): number {
  return (SESSIONS / records.length) * records.reduce((sum, record) => sum + record.length, 0)
}

describeRedis('the admin command on 100,000 sessions in Redis', () => {
  // A redis-server of its own when there is one on PATH: 100,000 keys and their scans then
  // never weigh on the Redis the other test files share.
  let server: RedisServerProcess | undefined
  let client: Redis
  let url: string
  const prefix = randomPrefix()
  let bolt: BoltEmulator
  let records: string[]

  beforeAll(async () => {
    if (redisServerPath !== null) server = await startRedisServer({ serverPath: redisServerPath })
    url = server?.url ?? redisUrl ?? ''
    client = new Redis(url, { commandTimeout: 20_000 })
    bolt = await startEmulatorForFile()
    records = await templates(bolt)
    for (let start = 0; start < SESSIONS; start += 5_000) {
      const pipeline = client.pipeline()
      for (let index = start; index < start + 5_000; index++) {
        const key = `${prefix}{${deriveStoreKey(bolt.clientSecret, `scale-${index}`)}}`
        const ttl = index % 10 === 0 ? SHORT_TTL_MS : LONG_TTL_MS
        pipeline.set(key, formatRecord(index + 1, records[index % 4] ?? ''), 'PX', ttl)
      }
      await pipeline.exec()
    }
  }, 60_000)
  afterAll(async () => {
    if (server === undefined) {
      const stream = client.scanStream({ match: `${prefix}*`, count: 5_000 })
      for await (const keys of stream)
        if ((keys as string[]).length > 0) await client.unlink(...keys)
    }
    await client.quit().catch(() => client.disconnect())
    await server?.stop()
  }, 60_000)

  it('stats counts 100,000 sessions exactly, SCAN batches of about --batch, the heap never holding more than a few batches', async () => {
    const { run, stats, heapGrowth } = await statsWithHeap(
      ['--redis', url, '--prefix', prefix],
      bolt,
    )
    expect(run.exitCode).toBe(0)
    expect(stats.records).toBe(SESSIONS)
    expect(stats.byState).toEqual(EXPECTED_BY_STATE)
    expect(stats.recordsEndingWithinHour).toBe(SESSIONS / 10)
    expect(stats.accessTokens).toEqual({
      expired: SESSIONS / 4,
      expiringWithinHour: SESSIONS / 2,
      validBeyondHour: 0,
    })
    // SCAN's COUNT is a hint: batches come close to it, never near the whole keyspace.
    expect(stats.scan.largestBatch).toBeLessThanOrEqual(2 * BATCH)
    expect(stats.scan.batches).toBeGreaterThanOrEqual(SESSIONS / (2 * BATCH))
    expect(heapGrowth).toBeLessThan(totalBytes(records) / 8)
  }, 60_000)
})

describePostgres('the admin command on 100,000 sessions in PostgreSQL', () => {
  const pool = createTestPool({ query_timeout: 30_000 })
  const table = randomTable()
  let bolt: BoltEmulator
  let records: string[]

  beforeAll(async () => {
    bolt = await startEmulatorForFile()
    records = await templates(bolt)
    await pool.query(postgresStoreSchema(table))
    // Keys shaped as the store's (43 characters of base64url), made by the database.
    await pool.query(
      `INSERT INTO ${table} (key, value, version, expires_at)
       SELECT rtrim(translate(encode(sha256(('scale-' || i)::bytea), 'base64'), '+/', '-_'), '='),
              (ARRAY[$1::text, $2::text, $3::text, $4::text])[i % 4 + 1], i + 1,
              now() + (CASE WHEN i % 10 = 0 THEN $5::double precision ELSE $6::double precision END) * interval '1 millisecond'
       FROM generate_series(0, $7::int - 1) AS i`,
      [...records, SHORT_TTL_MS, LONG_TTL_MS, SESSIONS],
    )
  }, 60_000)

  it('stats counts 100,000 sessions exactly, in keyset pages of exactly --batch, the heap never holding more than a few pages', async () => {
    const { run, stats, heapGrowth } = await statsWithHeap(
      ['--postgres', postgresUrl, '--table', table],
      bolt,
    )
    expect(run.exitCode).toBe(0)
    expect(stats.records).toBe(SESSIONS)
    expect(stats.byState).toEqual(EXPECTED_BY_STATE)
    expect(stats.recordsEndingWithinHour).toBe(SESSIONS / 10)
    // 100 full pages, then the empty one that ends the scan.
    expect(stats.scan).toEqual({ batches: SESSIONS / BATCH + 1, largestBatch: BATCH })
    expect(heapGrowth).toBeLessThan(totalBytes(records) / 8)
  }, 60_000)
})
