/**
 * The PostgreSQL the PostgreSQL-store runs use: `PG_URL`, else `DATABASE_URL`, else the
 * machine's at 127.0.0.1:5432, database `test`, user `postgres` (what `.ci/postgres` runs).
 */
import pg from 'pg'

/** A PostgreSQL to run against. */
export interface MatrixPostgres {
  url: string
  /** E.g. `15.20`. */
  version: string
  /** E.g. `PostgreSQL 15.20 (postgres://postgres@127.0.0.1:5432/test)`. */
  description: string
}

/** The database, or why there is none (then the PostgreSQL runs fail, naming the reason). */
export async function acquirePostgres(): Promise<MatrixPostgres | { missing: string }> {
  const url =
    [process.env.PG_URL, process.env.DATABASE_URL].find(
      (value) => value !== undefined && value !== '',
    ) ?? 'postgres://postgres@127.0.0.1:5432/test'
  const shown = url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@')
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    const { rows } = await client.query('SHOW server_version')
    const version = String(rows[0]?.server_version ?? 'unknown')
    return { url, version, description: `PostgreSQL ${version} (${shown})` }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { missing: `${shown} does not answer (${reason}); .ci/postgres starts one` }
  } finally {
    await client.end().catch(() => {})
  }
}
