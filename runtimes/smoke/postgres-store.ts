/** The PostgreSQL store on node-postgres, for the runtimes that have TCP sockets. */
import { createPostgresStore, type PostgresStore } from 'bolt-token-lifecycle/postgres'
import pg from 'pg'

/**
 * A PostgreSQL store on a table of its own (created by its first write), whose `close()` also
 * drops that table and ends the pool (the store closes only its own LISTEN connection).
 */
export async function openPostgresStore(url: string): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 })
  pool.on('error', () => {})
  const table = `bolt_runtimes_${crypto.randomUUID().replaceAll('-', '')}`
  const store = createPostgresStore(pool, { table })
  return {
    ...store,
    async close() {
      await store.close()
      await pool.query(`DROP TABLE IF EXISTS "${table}"`)
      await pool.end()
    },
  }
}
