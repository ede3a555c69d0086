// What PostgreSQL tests import. The database is PG_URL, else DATABASE_URL, else the machine's
// PostgreSQL at postgres://postgres@127.0.0.1:5432/test (trust auth; .ci/run makes sure it runs).
// When it does not answer, the suites skip loudly, or fail when CI is set. Never a mock.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, describe } from 'vitest'
import { isCI } from './redis-server.js'

/** The database the tests use (it may hold a password: print it with {@link redactedUrl}). */
export const postgresUrl: string =
  nonEmpty(process.env.PG_URL) ??
  nonEmpty(process.env.DATABASE_URL) ??
  'postgres://postgres@127.0.0.1:5432/test'

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/** {@link postgresUrl} without its password. */
export const redactedUrl = postgresUrl.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@')

/** Why the database cannot be used, or `null` when it answered `SELECT 1` within 2 s. */
async function unreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

/** `null` when PostgreSQL answers; otherwise why not (then `describePostgres` suites skip). */
export const postgresMissing: string | null = await unreachable()

/**
 * `describe(name, body)` when PostgreSQL answers; otherwise a loudly skipped `describe.skip`,
 * or, under CI, an error that fails the file.
 */
export function describePostgres(name: string, body: () => void): void {
  if (postgresMissing === null) {
    describe(name, body)
    return
  }
  const why = `${redactedUrl} does not answer (${postgresMissing})`
  if (isCI()) {
    throw new Error(
      `PostgreSQL suite "${name}" cannot run under CI: ${why}. Start PostgreSQL (.ci/run does) ` +
        'or set PG_URL=postgres://user@host:port/database.',
    )
  }
  console.warn(
    `!!! POSTGRESQL SUITE SKIPPED: "${name}": ${why}. Start PostgreSQL on 127.0.0.1:5432 ` +
      '(database test, trust auth) or set PG_URL to run it. Under CI this fails instead.',
  )
  describe.skip(`${name} (skipped: no PostgreSQL: ${why}; start one or set PG_URL)`, body)
}

const pools: pg.Pool[] = []
const tables: string[] = []

// Registered once per test file (vitest isolates modules per file): the file's tables are
// dropped and its pools ended after its tests.
afterAll(async () => {
  if (tables.length > 0 && postgresMissing === null) {
    const admin = new pg.Client({ connectionString: postgresUrl })
    admin.on('error', () => {})
    try {
      await admin.connect()
      for (const table of tables.splice(0)) await admin.query(`DROP TABLE IF EXISTS ${table}`)
    } finally {
      await admin.end().catch(() => {})
    }
  }
  await Promise.allSettled(pools.splice(0).map((pool) => pool.end()))
})

/** A pool on {@link postgresUrl} (at most 5 connections, 2 s timeouts), ended after the file. */
export function createTestPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: postgresUrl,
    max: 5,
    connectionTimeoutMillis: 2_000,
    query_timeout: 5_000,
    ...options,
  })
  // An idle connection that dies (a terminated backend) must not crash the test process.
  pool.on('error', () => {})
  pools.push(pool)
  return pool
}

/** A table name no other test file or run shares (`test_bolt_<12 hex>`), dropped after the file. */
export function randomTable(): string {
  const table = `test_bolt_${randomBytes(6).toString('hex')}`
  tables.push(table)
  return table
}

/**
 * `pool` as an HTTP driver presents it (Neon's `neon(url)`): a `query` that answers with the
 * rows themselves, and no `connect`, so no `LISTEN` (the store polls).
 */
export function httpShaped(pool: pg.Pool): {
  query(text: string, values?: unknown[]): Promise<pg.QueryResultRow[]>
} {
  return { query: async (text, values) => (await pool.query(text, values)).rows }
}

/** A recorded query. */
export interface RecordedQuery {
  text: string
  values: unknown[] | undefined
}

/** What the counting clients share: the queries so far, and how many start with `prefix`. */
function recorder() {
  const queries: RecordedQuery[] = []
  return {
    queries,
    count: (prefix: string) => queries.filter(({ text }) => text.startsWith(prefix)).length,
  }
}

/** `pool` with every `query` recorded (text and values); `connect` is passed through. */
export function countingPool(pool: pg.Pool) {
  const recorded = recorder()
  return {
    ...recorded,
    query: (text: string, values?: unknown[]) => {
      recorded.queries.push({ text, values })
      return pool.query(text, values)
    },
    connect: () => pool.connect(),
  }
}

/** {@link httpShaped} with every `query` recorded. */
export function countingHttpShaped(pool: pg.Pool) {
  const recorded = recorder()
  const http = httpShaped(pool)
  return {
    ...recorded,
    query: (text: string, values?: unknown[]) => {
      recorded.queries.push({ text, values })
      return http.query(text, values)
    },
  }
}
