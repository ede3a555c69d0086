// docs/stores/postgres.md quotes this file as it is (these leading comment lines aside), and
// test/examples/postgres-store.test.ts runs it: two instances on one database, one refresh.
import { createTokenManager, type TokenManagerOptions } from 'bolt-token-lifecycle'
import { createPostgresStore } from 'bolt-token-lifecycle/postgres'
import pg from 'pg'

/** One backend instance's token manager, on the PostgreSQL that every instance shares. */
export function createTokens(
  databaseUrl: string,
  bolt: Omit<TokenManagerOptions, 'store'>, // { clientId, clientSecret } and your other options
  table = 'bolt_token_sessions',
) {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    // An unreachable database fails fast (STORE_UNAVAILABLE) instead of queueing.
    connectionTimeoutMillis: 2_000,
    query_timeout: 2_000,
  })
  pool.on('error', () => {}) // an idle connection lost: the next query opens another
  // The table is created by the first write, or by your migration: postgresStoreSchema(table).
  const store = createPostgresStore(pool, { table })
  const tokens = createTokenManager({ ...bolt, store })
  return {
    tokens,
    // On shutdown: the store's LISTEN connection, then your pool.
    async close() {
      await store.close()
      await pool.end()
    },
  }
}
