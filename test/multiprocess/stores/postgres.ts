// The PostgreSQL store of a worker process: its own pool on the table every instance shares.
import pg from 'pg'
import { createPostgresStore } from '../../../adapters/storage/postgres.js'
import type { OpenedWorkerStore } from './index.js'

/** The options of {@link openStore} (they cross the process boundary as JSON). */
export interface PostgresWorkerStoreOptions {
  url: string
  /** The table every instance shares. */
  table: string
  /** The pool's `query_timeout` and `connectionTimeoutMillis`. */
  commandTimeoutMs: number
}

/** Opens a pool of its own (checked with one query), then builds the store on the shared table. */
export async function openStore(options: PostgresWorkerStoreOptions): Promise<OpenedWorkerStore> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 4,
    connectionTimeoutMillis: options.commandTimeoutMs,
    query_timeout: options.commandTimeoutMs,
  })
  pool.on('error', () => {
    // an idle connection lost: the next query opens another, or fails (STORE_UNAVAILABLE)
  })
  await pool.query('SELECT 1')
  const store = createPostgresStore(pool, { table: options.table })
  return {
    store,
    close: async () => {
      await store.close()
      await pool.end()
    },
  }
}
