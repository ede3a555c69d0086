// The multi-process stampede and the kill -9 lease takeover on the PostgreSQL store: every
// process (the test's and each worker) has its own pool on one table.
import { createPostgresStore } from '../../adapters/storage/postgres.js'
import { createTestPool, describePostgres, postgresUrl, randomTable } from '../support/postgres.js'
import { leaseTakeoverTests } from './lease-takeover.js'
import type { SharedStore } from './scenario.js'
import { stampedeTest } from './stampede.js'
import type { PostgresWorkerStoreOptions } from './stores/postgres.js'

/** The PostgreSQL store on a fresh table, dropped after the file. */
function sharedPostgresStore(): SharedStore {
  const table = randomTable()
  const store = createPostgresStore(createTestPool(), { table })
  const options: PostgresWorkerStoreOptions = { url: postgresUrl, table, commandTimeoutMs: 2_000 }
  return { store, close: () => store.close(), worker: { module: 'postgres', options } }
}

describePostgres('refresh stampede across processes (PostgreSQL)', () => {
  stampedeTest(sharedPostgresStore)
})

describePostgres(
  'lease takeover after the lease holder is SIGKILLed mid-refresh (PostgreSQL)',
  () => {
    leaseTakeoverTests(sharedPostgresStore)
  },
)
