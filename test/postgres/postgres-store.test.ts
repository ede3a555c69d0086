// What the conformance suite does not ask of the PostgreSQL store: the table's creation on first
// write (also racing), the exported DDL, table-name validation, expiry on the database clock and
// the sweep, LISTEN/NOTIFY across pools and its connection, the poll fallback, and one query per
// valid-token read.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createPostgresStore, postgresStoreSchema } from '../../adapters/storage/postgres.js'
import { eventually, sleep } from '../../src/testing/store-conformance/suite.js'
import { logIn, managerFor, startEmulator } from '../support/harness.js'
import {
  countingHttpShaped,
  countingPool,
  createTestPool,
  describePostgres,
  postgresUrl,
  randomTable,
} from '../support/postgres.js'

const MINUTE_MS = 60_000
/** A store key as the manager makes them: 43 characters of base64url. */
const newKey = () => randomBytes(32).toString('base64url')

describePostgres('PostgreSQL store', () => {
  const pool = createTestPool()
  const otherPool = createTestPool()

  const tableExists = async (table: string) =>
    (await pool.query('SELECT to_regclass($1) AS oid', [table])).rows[0]?.oid !== null
  const rowCount = async (table: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0]?.n)
  /** Backends (other than ours) whose last query was `LISTEN` on `table`'s channel. */
  const listeners = async (table: string) =>
    (
      await pool.query('SELECT pid FROM pg_stat_activity WHERE query = $1', [
        `LISTEN "${table}_changed"`,
      ])
    ).rows.map((row) => row.pid as number)

  /** Resolves once `check()` holds; fails after 5 s, naming what it waited for. */
  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const giveUp = Date.now() + 5_000
    while (!(await check())) {
      if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`)
      await sleep(20)
    }
  }

  async function connectedClient(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: postgresUrl })
    client.on('error', () => {})
    await client.connect()
    return client
  }

  describe('the table', () => {
    it('is created by the first write, not by reads, deletes or writes naming a version', async () => {
      const table = randomTable()
      const client = countingPool(pool)
      const store = createPostgresStore(client, { table })
      const key = newKey()
      expect(await store.get(key)).toBeUndefined()
      await store.delete(key)
      expect(
        await store.compareAndSet(key, 'late', { expectedVersion: 5, ttlMs: MINUTE_MS }),
      ).toBeUndefined()
      expect(await store.sweep()).toBe(0)
      expect(await tableExists(table)).toBe(false)
      expect(client.count('CREATE')).toBe(0)

      const version = await store.compareAndSet(key, 'first', {
        expectedVersion: 0,
        ttlMs: MINUTE_MS,
      })
      expect(await store.get(key)).toEqual({ value: 'first', version })
      expect(client.count('CREATE TABLE IF NOT EXISTS')).toBe(1)
      expect(client.count('CREATE INDEX IF NOT EXISTS')).toBe(1)
      await store.compareAndSet(newKey(), 'second', { expectedVersion: 0, ttlMs: MINUTE_MS })
      expect(client.count('CREATE')).toBe(2)
      await store.close()
    })

    it('six pools writing first at once all succeed, on one table', async () => {
      const table = randomTable()
      const stores = Array.from({ length: 6 }, () =>
        createPostgresStore(createTestPool({ max: 1 }), { table, listen: false }),
      )
      const keys = stores.map(() => newKey())
      const versions = await Promise.all(
        stores.map((store, i) =>
          store.compareAndSet(keys[i] as string, `writer-${i}`, {
            expectedVersion: 0,
            ttlMs: MINUTE_MS,
          }),
        ),
      )
      for (const [i, store] of stores.entries()) {
        expect(await store.get(keys[i] as string)).toEqual({
          value: `writer-${i}`,
          version: versions[i],
        })
      }
      expect(await rowCount(table)).toBe(6)
      await Promise.all(stores.map((store) => store.close()))
    })

    it('a first write racing another session’s uncommitted CREATE TABLE waits for it, then writes', async () => {
      const table = randomTable()
      const other = await connectedClient()
      try {
        await other.query('BEGIN')
        await other.query(postgresStoreSchema(table))
        const store = createPostgresStore(pool, { table })
        const key = newKey()
        const pending = store.compareAndSet(key, 'after the race', {
          expectedVersion: 0,
          ttlMs: MINUTE_MS,
        })
        // The store's CREATE TABLE waits on the other transaction's catalog rows.
        await until(async () => {
          const waiting = await pool.query(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE $1`,
            [`CREATE TABLE IF NOT EXISTS "${table}"%`],
          )
          return Number(waiting.rows[0]?.n) === 1
        }, "the store's CREATE TABLE to wait on the other session")
        await other.query('COMMIT')
        const version = await pending
        expect(version).toBeTypeOf('number')
        expect(await store.get(key)).toEqual({ value: 'after the race', version })
        await store.close()
      } finally {
        await other.end()
      }
    })

    it('postgresStoreSchema is the DDL the store runs; a table made from it is used as it is', async () => {
      expect(postgresStoreSchema()).toBe(
        [
          'CREATE TABLE IF NOT EXISTS "bolt_token_sessions" (',
          '  key text PRIMARY KEY,',
          '  value text NOT NULL,',
          '  version bigint NOT NULL,',
          '  expires_at timestamptz NOT NULL',
          ');',
          'CREATE INDEX IF NOT EXISTS "bolt_token_sessions_expires" ON "bolt_token_sessions" (expires_at);',
          '',
        ].join('\n'),
      )
      expect(postgresStoreSchema('auth.sessions')).toContain(
        'CREATE INDEX IF NOT EXISTS "sessions_expires" ON "auth"."sessions" (expires_at);',
      )

      const table = randomTable()
      await pool.query(postgresStoreSchema(table))
      const columns = await pool.query(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
      expect(columns.rows).toEqual([
        { column_name: 'key', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'value', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'version', data_type: 'bigint', is_nullable: 'NO' },
        { column_name: 'expires_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
      ])
      const indexes = await pool.query(
        'SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
        [table],
      )
      expect(indexes.rows.map((row) => row.indexname)).toEqual([
        `${table}_expires`,
        `${table}_pkey`,
      ])

      const client = countingPool(pool)
      const store = createPostgresStore(client, { table })
      const key = newKey()
      const version = await store.compareAndSet(key, 'v', { expectedVersion: 0, ttlMs: MINUTE_MS })
      expect(await store.get(key)).toEqual({ value: 'v', version })
      expect(client.count('CREATE')).toBe(0)
      await store.close()
    })

    it('a schema-qualified table lives in its schema', async () => {
      const schema = randomTable()
      await pool.query(`CREATE SCHEMA "${schema}"`)
      try {
        const store = createPostgresStore(pool, { table: `${schema}.sessions` })
        const key = newKey()
        const version = await store.compareAndSet(key, 'in a schema', {
          expectedVersion: 0,
          ttlMs: MINUTE_MS,
        })
        expect(await store.get(key)).toEqual({ value: 'in a schema', version })
        const found = await pool.query(
          'SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
          [schema, 'sessions'],
        )
        expect(Number(found.rows[0]?.n)).toBe(1)
        await store.close()
      } finally {
        await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
      }
    })

    it('refuses a table name that is not a plain lowercase identifier, saying what it accepts', () => {
      const invalid = [
        '',
        'Sessions',
        'bolt-sessions',
        '1sessions',
        'a.b.c',
        '.sessions',
        'sessions.',
        'sessions; DROP TABLE users',
        '"sessions"',
        's'.repeat(56),
      ]
      for (const table of invalid) {
        expect(() => createPostgresStore(pool, { table }), table).toThrow(TypeError)
        expect(() => postgresStoreSchema(table), table).toThrow(TypeError)
      }
      expect(() => createPostgresStore(pool, { table: 'bolt-sessions' })).toThrow(
        'createPostgresStore: table must be a lowercase SQL identifier (a-z, 0-9, _; not starting with a digit), optionally schema-qualified, at most 55 characters, e.g. "bolt_token_sessions" or "auth.bolt_token_sessions"; got "bolt-sessions"',
      )
      for (const table of ['s', '_s', 'auth.bolt_sessions', 's'.repeat(55)]) {
        expect(() => createPostgresStore(pool, { table }), table).not.toThrow()
      }
    })
  })

  describe('expiry', () => {
    it('a write sends its TTL, never a timestamp: expiry runs on the database clock', async () => {
      const table = randomTable()
      const client = countingPool(pool)
      const store = createPostgresStore(client, { table })
      const key = newKey()
      await store.compareAndSet(key, 'ten minutes', { expectedVersion: 0, ttlMs: 600_000 })
      const write = client.queries.find(({ text }) => text.includes('INSERT INTO'))
      expect(write?.values).toEqual([key, `${table}_changed`, 'ten minutes', 600_000])
      const left = await pool.query(
        `SELECT extract(epoch FROM expires_at - now()) * 1000 AS ms FROM "${table}" WHERE key = $1`,
        [key],
      )
      const ms = Number(left.rows[0]?.ms)
      expect(ms).toBeGreaterThan(600_000 - 5_000)
      expect(ms).toBeLessThanOrEqual(600_000)
      await store.close()
    })

    it('an expired row reads as absent and stays until swept; a new write replaces it', async () => {
      const table = randomTable()
      const store = createPostgresStore(pool, { table })
      const key = newKey()
      const v1 = (await store.compareAndSet(key, 'short', { expectedVersion: 0, ttlMs: 100 })) ?? 0
      await sleep(300)
      expect(await store.get(key)).toBeUndefined()
      expect(await rowCount(table)).toBe(1)
      const v2 = await store.compareAndSet(key, 'new', { expectedVersion: 0, ttlMs: MINUTE_MS })
      expect(v2).toBeGreaterThan(v1)
      expect(await store.get(key)).toEqual({ value: 'new', version: v2 })
      expect(await rowCount(table)).toBe(1)
      await store.close()
    })

    it('a delete leaves an expired row with an empty value and a higher version (a tombstone)', async () => {
      const table = randomTable()
      const store = createPostgresStore(pool, { table })
      const key = newKey()
      const version = await store.compareAndSet(key, 'secret tokens', {
        expectedVersion: 0,
        ttlMs: MINUTE_MS,
      })
      await store.delete(key)
      const row = await pool.query(
        `SELECT value, version, expires_at <= now() AS expired FROM "${table}" WHERE key = $1`,
        [key],
      )
      expect(row.rows).toEqual([{ value: '', version: String((version ?? 0) + 1), expired: true }])
      await store.close()
    })

    it('sweep() deletes at most sweepLimit rows expired for over a minute, never a live row or a fresh tombstone', async () => {
      const table = randomTable()
      const store = createPostgresStore(pool, {
        table,
        sweepLimit: 2,
        sweepIntervalMs: Number.POSITIVE_INFINITY,
      })
      const keys = Array.from({ length: 5 }, () => newKey())
      for (const key of keys) {
        await store.compareAndSet(key, 'v', { expectedVersion: 0, ttlMs: MINUTE_MS })
      }
      await store.delete(keys[3] as string)
      await pool.query(
        `UPDATE "${table}" SET expires_at = now() - interval '2 minutes' WHERE key = ANY($1)`,
        [keys.slice(0, 3)],
      )
      expect(await store.sweep()).toBe(2)
      expect(await store.sweep()).toBe(1)
      expect(await store.sweep()).toBe(0)
      const left = await pool.query(`SELECT key FROM "${table}" ORDER BY key`)
      expect(left.rows.map((row) => row.key)).toEqual([keys[3], keys[4]].sort())
      await store.close()
    })

    it('writes sweep in the background, at most once per sweepIntervalMs', async () => {
      const table = randomTable()
      const client = countingPool(pool)
      const store = createPostgresStore(client, { table, sweepIntervalMs: MINUTE_MS })
      const aged = Array.from({ length: 3 }, () => newKey())
      const age = async () => {
        for (const key of aged) {
          await pool.query(
            `INSERT INTO "${table}" (key, value, version, expires_at)
             VALUES ($1, 'old', 1, now() - interval '2 minutes')
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at`,
            [key],
          )
        }
      }
      // The first write creates the table and sweeps; nothing is old yet.
      await store.compareAndSet(newKey(), 'v', { expectedVersion: 0, ttlMs: MINUTE_MS })
      await eventually(() => client.count('WITH swept') === 1)
      await age()
      await sleep(100)
      await store.compareAndSet(newKey(), 'v', { expectedVersion: 0, ttlMs: MINUTE_MS })
      await sleep(200)
      expect(client.count('WITH swept')).toBe(1)
      expect(await rowCount(table)).toBe(5)

      const eager = countingPool(pool)
      const sweeper = createPostgresStore(eager, { table, sweepIntervalMs: 0 })
      await sweeper.compareAndSet(newKey(), 'v', { expectedVersion: 0, ttlMs: MINUTE_MS })
      await eventually(() => eager.count('WITH swept') === 1)
      await sweeper.close()
      expect(await rowCount(table)).toBe(3)
      await store.close()
    })
  })

  describe('waking waiters', () => {
    it('LISTEN/NOTIFY across two pools: each committed write or delete wakes the other pool’s waiter; the key is the payload', async () => {
      const table = randomTable()
      const writer = createPostgresStore(pool, { table })
      const watchingClient = countingPool(otherPool)
      const watcher = createPostgresStore(watchingClient, { table })
      const raw = await connectedClient()
      const payloads: string[] = []
      raw.on('notification', (message) => payloads.push(message.payload ?? ''))
      await raw.query(`LISTEN "${table}_changed"`)
      try {
        const key = newKey()
        let woken = 0
        const stop = await watcher.subscribe(key, () => {
          woken++
        })
        const v1 =
          (await writer.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: MINUTE_MS })) ?? 0
        await eventually(() => woken === 1, 1_000)
        // A write that loses its compare-and-set commits nothing, and notifies nobody.
        expect(
          await writer.compareAndSet(key, 'stale', { expectedVersion: v1 + 7, ttlMs: MINUTE_MS }),
        ).toBeUndefined()
        await writer.delete(key)
        await eventually(() => woken === 2, 1_000)
        await sleep(50)
        expect(woken).toBe(2)
        expect(payloads).toEqual([key, key])
        // The watcher never polled: it only listened.
        expect(watchingClient.queries).toEqual([])
        stop()
      } finally {
        await raw.end()
        await Promise.all([writer.close(), watcher.close()])
      }
    })

    it('takes one connection for LISTEN on the first wait, whatever the number of keys, and releases it on close', async () => {
      const table = randomTable()
      const store = createPostgresStore(pool, { table })
      expect(await listeners(table)).toEqual([])
      const stops = await Promise.all(
        [newKey(), newKey(), newKey()].map((key) => store.subscribe(key, () => {})),
      )
      expect(await listeners(table)).toHaveLength(1)
      for (const stop of stops) stop()
      await store.close()
      await until(async () => (await listeners(table)).length === 0, 'the LISTEN backend to go')
    })

    it('refuses a pool of one connection, which its LISTEN would take for good, unless told how to wait', () => {
      const single = createTestPool({ max: 1 })
      expect(() => createPostgresStore(single)).toThrow(
        'createPostgresStore: this pool has max 1, and the store would hold that one connection to LISTEN; give the pool more connections, or pass listen: false (poll) or listen: a client of your own',
      )
      expect(() => createPostgresStore(single, { listen: false })).not.toThrow()
    })

    it('listens on a client of your own when given one; close() stops listening and leaves it open', async () => {
      const table = randomTable()
      const own = await connectedClient()
      try {
        const store = createPostgresStore(pool, { table, listen: own })
        const writer = createPostgresStore(otherPool, { table })
        const key = newKey()
        let woken = 0
        await store.subscribe(key, () => {
          woken++
        })
        const channels = async () =>
          (await own.query('SELECT pg_listening_channels() AS channel')).rows.map(
            (row) => row.channel,
          )
        expect(await channels()).toEqual([`${table}_changed`])
        await writer.compareAndSet(key, 'v', { expectedVersion: 0, ttlMs: MINUTE_MS })
        await eventually(() => woken === 1, 1_000)
        await store.close()
        expect(await channels()).toEqual([])
        expect(own.listenerCount('notification')).toBe(0)
        await writer.close()
      } finally {
        await own.end()
      }
    })

    it('a lost LISTEN connection wakes the waiters, and the store listens again', async () => {
      const table = randomTable()
      const store = createPostgresStore(pool, { table, pollIntervalMs: 50 })
      const writer = createPostgresStore(otherPool, { table })
      const key = newKey()
      let woken = 0
      const stop = await store.subscribe(key, () => {
        woken++
      })
      const [first] = await listeners(table)
      expect(first).toBeTypeOf('number')
      await pool.query('SELECT pg_terminate_backend($1)', [first])
      // Woken when the connection goes (a change may have been missed), and again once the
      // store listens on a new one.
      await eventually(() => woken >= 2, 5_000)
      await until(async () => (await listeners(table)).length === 1, 'the store to listen again')
      const [second] = await listeners(table)
      expect(second).toBeTypeOf('number')
      expect(second).not.toBe(first)
      const before = woken
      await writer.compareAndSet(key, 'after', { expectedVersion: 0, ttlMs: MINUTE_MS })
      await eventually(() => woken === before + 1, 1_000)
      stop()
      await Promise.all([store.close(), writer.close()])
    })

    it('polls where LISTEN is impossible: subscribe resolves once active, every change is seen, polling stops with the last waiter', async () => {
      const table = randomTable()
      const client = countingHttpShaped(pool)
      const store = createPostgresStore(client, { table, pollIntervalMs: 50 })
      const writer = createPostgresStore(otherPool, { table })
      const key = newKey()
      let woken = 0
      const stop = await store.subscribe(key, () => {
        woken++
      })
      const v1 =
        (await writer.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: MINUTE_MS })) ?? 0
      await eventually(() => woken === 1, 1_000)
      await writer.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs: MINUTE_MS })
      await eventually(() => woken === 2, 1_000)
      await writer.delete(key)
      await eventually(() => woken === 3, 1_000)
      await writer.compareAndSet(key, 'again', { expectedVersion: 0, ttlMs: MINUTE_MS })
      await eventually(() => woken === 4, 1_000)
      expect(client.count('LISTEN')).toBe(0)

      stop()
      await sleep(100)
      const polls = client.count('SELECT key, version')
      await sleep(200)
      expect(client.count('SELECT key, version')).toBe(polls)
      await Promise.all([store.close(), writer.close()])
    })

    it('polling sees a key created and deleted between two polls (the delete leaves a tombstone)', async () => {
      const table = randomTable()
      const store = createPostgresStore(countingHttpShaped(pool), { table, pollIntervalMs: 400 })
      const writer = createPostgresStore(otherPool, { table })
      const key = newKey()
      let woken = 0
      const stop = await store.subscribe(key, () => {
        woken++
      })
      await writer.compareAndSet(key, 'brief', { expectedVersion: 0, ttlMs: MINUTE_MS })
      await writer.delete(key)
      expect(await store.get(key)).toBeUndefined()
      await eventually(() => woken === 1, 2_000)
      stop()
      await Promise.all([store.close(), writer.close()])
    })
  })

  it('a valid-token read through the token manager is one query', async () => {
    const table = randomTable()
    const client = countingPool(pool)
    const store = createPostgresStore(client, { table })
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    await logIn(bolt, tokens, 'shopper')
    const token = await tokens.getAccessToken('shopper')
    client.queries.length = 0
    for (let i = 0; i < 10; i++)
      expect((await tokens.getAccessToken('shopper')) === token).toBe(true)
    expect(client.queries).toHaveLength(10)
    expect(client.count(`SELECT value, version FROM "${table}" WHERE key = $1`)).toBe(10)
    await store.close()
  })
})
