/**
 * `postgres.hit.*` and `postgres.raw-select.ops`: what a valid-token read costs on PostgreSQL,
 * in queries (counted on the client the store is given) and in throughput at 100 concurrency
 * against a raw `SELECT` of the same row on the same pool.
 *
 * The database: `PG_URL`, else `DATABASE_URL`, else 127.0.0.1:5432, database `test`, user
 * `postgres` (what `.ci/postgres` runs). The section uses a table of its own and drops it.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createPostgresStore, type PostgresPool } from '../adapters/storage/postgres.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import { EMULATOR_DEFAULTS } from '../src/emulator/options.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../src/manager/token-manager.js'
import type { Section } from './context.js'
import { heading } from './format.js'
import { type Metric, measured, notMeasured } from './metrics.js'
import { compareReads, listRatios } from './read-comparison.js'
import { logInAll, sessionIds } from './sessions.js'

/** The bench emulator runs on the defaults: the API key the managers' store keys derive from. */
const EMULATOR_SECRET = EMULATOR_DEFAULTS.clientSecret

const CONCURRENCY = 100
const READS_COUNTED = 100
/** node-postgres' default pool size, for both variants. */
const POOL_SIZE = 10

type Names = 'postgres.hit.ops' | 'postgres.raw-select.ops' | 'postgres.hit.vs-raw-select'

/** Measures the valid-token read on PostgreSQL. */
export const postgresHit: Section = async ({ settings, emulator }) => {
  heading(`postgres.hit: valid-token reads on PostgreSQL, ${CONCURRENCY} concurrent loops`)
  const url =
    [process.env.PG_URL, process.env.DATABASE_URL].find(
      (value) => value !== undefined && value !== '',
    ) ?? 'postgres://postgres@127.0.0.1:5432/test'
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: 2_000,
  })
  pool.on('error', () => {})
  let version: string
  try {
    version = String((await pool.query('SHOW server_version')).rows[0]?.server_version)
  } catch (error) {
    await pool.end()
    const why = `no PostgreSQL at ${url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@')} (${error instanceof Error ? error.message : error}); run .ci/postgres or set PG_URL`
    console.log(`  SKIPPED: ${why}`)
    return {
      'postgres.hit.queries': notMeasured('queries/read', why),
      'postgres.hit.ops': notMeasured('ops/s', why),
      'postgres.raw-select.ops': notMeasured('ops/s', why),
    }
  }
  const tableName = `bench_bolt_${randomBytes(6).toString('hex')}`
  let queries = 0
  const counted: PostgresPool = {
    query: (text, values) => {
      queries++
      return pool.query(text, values)
    },
    connect: () => pool.connect(),
  }
  const store = createPostgresStore(counted, { table: tableName })
  try {
    console.log(`  PostgreSQL ${version}; table ${tableName}; one pg.Pool of ${POOL_SIZE}`)
    const manager = createTokenManager({ ...emulatorManagerOptions(emulator), store })
    const ids = sessionIds('postgres', CONCURRENCY)
    const tokens = await logInAll(emulator, manager, ids)

    const token = await manager.getAccessToken(ids[0] as string)
    queries = 0
    for (let i = 0; i < READS_COUNTED; i++) {
      if ((await manager.getAccessToken(ids[0] as string)) !== token) throw new Error('wrong token')
    }
    const perRead = queries / READS_COUNTED
    console.log(
      `  queries per valid-token read: ${perRead} (${queries} for ${READS_COUNTED} reads)`,
    )
    const throughput = await readThroughput(settings, pool, manager, tableName, ids, tokens)
    return {
      'postgres.hit.queries': measured(
        perRead,
        'queries/read',
        `${READS_COUNTED} valid-token reads, queries counted on the client the store was given (one pool.query is one round trip)`,
      ),
      ...throughput,
    }
  } finally {
    await store.close()
    await pool.query(`DROP TABLE IF EXISTS "${tableName}"`).catch(() => {})
    await pool.end()
  }
}

/** Throughput of the manager against a raw SELECT of the same row, same pool. */
async function readThroughput(
  settings: { rounds: number; scale: number },
  pool: pg.Pool,
  manager: TokenManager,
  tableName: string,
  ids: readonly string[],
  tokens: readonly string[],
): Promise<Record<Names, Metric>> {
  const keys = ids.map((id) => deriveStoreKey(EMULATOR_SECRET, id))
  const select = `SELECT value, version FROM "${tableName}" WHERE key = $1`
  const first = await pool.query(select, [keys[0]])
  const recordBytes = Buffer.byteLength(String(first.rows[0]?.value ?? ''))
  const ops = {
    manager: async (loop: number) => {
      if ((await manager.getAccessToken(ids[loop] as string)) !== tokens[loop]) {
        throw new Error('wrong token')
      }
    },
    select: async (loop: number) => {
      if ((await pool.query(select, [keys[loop]])).rows.length !== 1) throw new Error('no row')
    },
  }
  const compared = await compareReads(
    settings,
    { manager: ops.manager, raw: ops.select },
    {
      concurrency: CONCURRENCY,
      what: `record: ${recordBytes} bytes; one pg.Pool for both variants`,
      rawName: 'SELECT',
    },
  )
  const shape = `${CONCURRENCY} concurrent loops on one pg.Pool of ${POOL_SIZE}, median of ${settings.rounds} interleaved rounds`
  return {
    'postgres.hit.ops': measured(
      compared.manager,
      'ops/s',
      `getAccessToken on valid tokens, PostgreSQL store (one SELECT of a ${recordBytes}-byte record); ${shape}`,
    ),
    'postgres.raw-select.ops': measured(
      compared.raw,
      'ops/s',
      `raw pool.query of the same SELECT by primary key (the same row, without expiry check); ${shape}`,
    ),
    'postgres.hit.vs-raw-select': measured(
      compared.ratio,
      '×',
      `postgres.hit.ops / postgres.raw-select.ops, median of per-round ratios (${listRatios(compared.ratios)})`,
    ),
  }
}
