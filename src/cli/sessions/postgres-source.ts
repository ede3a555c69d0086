/**
 * The PostgreSQL session source: keyset pagination over the store's table
 * (`WHERE key > $last ORDER BY key LIMIT n`, on the primary key's index), so a batch costs the
 * same at the millionth row as at the first; writes through the PostgreSQL store's own
 * compare-and-set statement.
 *
 * @module
 */
import type pg from 'pg'
import { tableNames } from '../../../adapters/storage/postgres-sql.js'
import { AdminCommandError, EXIT, usageError } from './exit-codes.js'
import type { SessionSource, StoredSession } from './source.js'

/** Options of {@link openPostgresSource}. */
export interface PostgresSourceOptions {
  url: string
  table: string
}

/** The URL's `host:port/database`, never its user name or password. */
function locationOf(url: URL): string {
  return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`
}

async function loadPg(): Promise<typeof pg> {
  try {
    return (await import('pg')).default
  } catch {
    throw usageError(
      "--postgres needs the pg package (node-postgres): npm install pg. (Neon's HTTP driver has no cursor-friendly connection; give the command your database's postgres:// URL.)",
    )
  }
}

function unreachable(where: string, error: unknown): AdminCommandError {
  const code = (error as { code?: unknown } | null)?.code
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
  const message =
    code === '28P01' || code === '28000'
      ? `PostgreSQL at ${where} refused the credentials in --postgres (${reason}): check the user name and password.`
      : code === '3D000'
        ? `PostgreSQL at ${where}: ${reason}. Check the database name in --postgres.`
        : `Could not reach PostgreSQL at ${where} (${reason}): check --postgres (postgres://[user:password@]host:port/database) and that PostgreSQL runs there.`
  return new AdminCommandError(EXIT.STORE_UNAVAILABLE, message, { cause: error })
}

function toSession(row: Record<string, unknown>): StoredSession {
  const ttl = Number(row.ttl_ms)
  return {
    key: String(row.key),
    value: String(row.value),
    version: Number(row.version),
    ttlMs: Number.isFinite(ttl) ? Math.max(ttl, 1) : undefined,
  }
}

/**
 * Connects to the PostgreSQL at `url` and returns the session source of `table`.
 *
 * @throws {AdminCommandError} `STORE_UNAVAILABLE` when the database cannot be reached, refuses
 *   the credentials, or has no such table; `USAGE` for a bad URL or table name.
 */
export async function openPostgresSource(options: PostgresSourceOptions): Promise<SessionSource> {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw usageError('--postgres must be a URL: postgres://[user:password@]host:port/database.')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw usageError(`--postgres must be a postgres:// URL, not ${url.protocol}//…`)
  }
  let names: ReturnType<typeof tableNames>
  try {
    names = tableNames(options.table)
  } catch (error) {
    throw usageError(
      `--table: ${(error as Error).message.replace('createPostgresStore: table ', '')}`,
    )
  }
  const where = locationOf(url)
  const { Pool } = await loadPg()
  const pool = new Pool({
    connectionString: options.url,
    max: 2,
    connectionTimeoutMillis: 5_000,
    query_timeout: 60_000,
  })
  pool.on('error', () => {})
  try {
    const found = await pool.query('SELECT to_regclass($1) AS found', [names.quoted])
    if (found.rows[0]?.found == null) {
      await pool.end()
      throw new AdminCommandError(
        EXIT.STORE_UNAVAILABLE,
        `PostgreSQL at ${where} has no table "${options.table}": check --table (the token manager's store creates its table on its first write; the default is bolt_token_sessions).`,
      )
    }
  } catch (error) {
    if (error instanceof AdminCommandError) throw error
    await pool.end().catch(() => {})
    throw unreachable(where, error)
  }

  const { createPostgresStore } = await import('../../../adapters/storage/postgres.js')
  const store = createPostgresStore(pool, { table: options.table, listen: false })
  const table = names.quoted
  const columns = `key, value, version,
    ceil(extract(epoch FROM expires_at - now()) * 1000)::bigint AS ttl_ms`

  return {
    description: `PostgreSQL at ${where}, table "${options.table}"`,
    store,

    async scan(cursor, count) {
      const { rows } = await pool.query(
        `SELECT ${columns} FROM ${table}
         WHERE key > $1 AND expires_at > now() ORDER BY key LIMIT $2`,
        [cursor, count],
      )
      const sessions = rows.map(toSession)
      const last = sessions.at(-1)
      return { sessions, next: sessions.length < count || last === undefined ? null : last.key }
    },

    async read(key) {
      const { rows } = await pool.query(
        `SELECT ${columns} FROM ${table} WHERE key = $1 AND expires_at > now()`,
        [key],
      )
      return rows[0] === undefined ? undefined : toSession(rows[0])
    },

    async estimate() {
      const { rows } = await pool.query(
        `SELECT count(*)::bigint AS n FROM ${table} WHERE expires_at > now()`,
      )
      return { count: Number(rows[0]?.n ?? 0), exact: true }
    },

    async close() {
      await store.close()
      await pool.end()
    },
  }
}
