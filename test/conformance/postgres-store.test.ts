import { describe, expect, it } from 'vitest'
import { createPostgresStore, type PostgresStoreOptions } from '../../adapters/storage/postgres.js'
import { testTokenStore } from '../../src/testing/index.js'
import { createTestPool, describePostgres, randomTable } from '../support/postgres.js'

describePostgres('PostgreSQL store', () => {
  const pool = createTestPool()
  // Another pool on the same table: a second process, for the single-flight checks.
  const peerPool = createTestPool()
  const table = randomTable()
  const siblingTable = randomTable()

  const variants: [string, PostgresStoreOptions][] = [
    ['LISTEN/NOTIFY', {}],
    ['polling', { listen: false }],
  ]
  for (const [name, options] of variants) {
    testTokenStore(
      { describe, it, expect },
      `PostgreSQL store (${name})`,
      async () => {
        const stores = [
          createPostgresStore(pool, { ...options, table }),
          createPostgresStore(pool, { ...options, table: siblingTable }),
          createPostgresStore(peerPool, { ...options, table }),
        ] as const
        const [store, sibling, peer] = stores
        return {
          store,
          sibling,
          peer,
          elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          close: async () => {
            await Promise.all(stores.map((each) => each.close()))
          },
        }
      },
      { answers: 'promise' },
    )
  }
})
