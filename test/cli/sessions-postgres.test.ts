// The admin command on real PostgreSQL: the shared suite (sessions-suite.ts), each test on a
// table of its own.
import { afterEach, expect, it } from 'vitest'
import { createPostgresStore, type PostgresStore } from '../../adapters/storage/postgres.js'
import { createTestPool, describePostgres, postgresUrl, randomTable } from '../support/postgres.js'
import { runInProcess } from './sessions-helpers.js'
import type { CommandTarget } from './sessions-population.js'
import { reencryptSuite } from './sessions-reencrypt-suite.js'
import { sessionsCommandSuite } from './sessions-suite.js'

const url = new URL(postgresUrl)
const location = `${url.hostname}:${url.port || '5432'}${url.pathname}`

const stores: PostgresStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function openTarget(): Promise<CommandTarget> {
  const pool = createTestPool()
  const table = randomTable()
  const store = createPostgresStore(pool, { table })
  stores.push(store)
  const url = new URL(postgresUrl)
  return {
    store,
    argv: ['--postgres', postgresUrl, '--table', table],
    description: `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}, table "${table}"`,
    ttlMs: async (key) => {
      const { rows } = await pool.query(
        `SELECT ceil(extract(epoch FROM expires_at - now()) * 1000)::bigint AS ttl FROM ${table} WHERE key = $1`,
        [key],
      )
      return rows[0] === undefined ? undefined : Number(rows[0].ttl)
    },
    unreachable: {
      argv: ['--postgres', 'postgres://postgres@127.0.0.1:1/test', '--table', table],
      says: 'Could not reach PostgreSQL at 127.0.0.1:1/test (',
    },
  }
}

describePostgres('bolt-token-lifecycle sessions on PostgreSQL', () => {
  sessionsCommandSuite(openTarget)
  reencryptSuite(openTarget)

  it('a table that does not exist: exit 3, naming it and the option to check', async () => {
    const table = randomTable()
    const run = await runInProcess(['stats', '--postgres', postgresUrl, '--table', table], {
      env: {},
    })
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toBe(
      `error: PostgreSQL at ${location} has no table "${table}": check --table (the token manager's store creates its table on its first write; the default is bolt_token_sessions).\n`,
    )
  })

  it('a table name that is not one: exit 2 before connecting', async () => {
    const run = await runInProcess(['stats', '--postgres', postgresUrl, '--table', 'x; drop'], {
      env: {},
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('error: --table: must be a lowercase SQL identifier')
  })
})
