import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { createPostgresStore, type PostgresPool } from '../../adapters/storage/postgres.js'
import { testTokenStore } from '../../src/testing/index.js'
import { createTestPool, describePostgres, httpShaped, randomTable } from '../support/postgres.js'

describePostgres('PostgreSQL store', () => {
  const pool = createTestPool()
  // Another pool on the same table: a second process, for the single-flight checks.
  const peerPool = createTestPool()
  const table = randomTable()
  const siblingTable = randomTable()

  // A pool waits with LISTEN/NOTIFY; a client shaped like an HTTP driver (rows only, no
  // connect) polls.
  const variants: [string, (pool: pg.Pool) => PostgresPool][] = [
    ['node-postgres Pool, LISTEN/NOTIFY', (each) => each],
    ['HTTP-driver shape, polling', httpShaped],
  ]
  for (const [name, client] of variants) {
    testTokenStore(
      { describe, it, expect },
      `PostgreSQL store (${name})`,
      async () => {
        const stores = [
          createPostgresStore(client(pool), { table }),
          createPostgresStore(client(pool), { table: siblingTable }),
          createPostgresStore(client(peerPool), { table }),
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
