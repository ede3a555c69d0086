/**
 * The PostgreSQL session store, for backends whose shared database is PostgreSQL: on it,
 * several instances refresh each session exactly once per rotation.
 *
 * Layout: one table (default `bolt_token_sessions`), one row per session:
 * `key text primary key, value text, version bigint, expires_at timestamptz`, and an index on
 * `expires_at` for the sweep. The table is created on first write (`CREATE TABLE IF NOT
 * EXISTS`); {@link postgresStoreSchema} gives the same DDL to those who run migrations.
 *
 * - A read is one `SELECT` by primary key.
 * - A compare-and-set is one statement: `INSERT … ON CONFLICT` to create (an expired row
 *   counts as absent and is replaced), `UPDATE … WHERE version = $n` to replace. The same
 *   statement calls `pg_notify`, so the change notification commits with the write or not
 *   at all.
 * - A delete expires the row at once and bumps its version (a tombstone, its value emptied).
 * - TTLs are measured on the database's clock (`now()`), never on this instance's: instances
 *   whose clocks disagree still agree on what has expired.
 * - Expired rows read as absent. They are swept lazily: after a write, at most once per
 *   `sweepIntervalMs`, a bounded `DELETE` removes rows expired for more than a minute.
 * - Waiters wake through `LISTEN/NOTIFY` on one channel per table (`<table>_changed`, the key
 *   as payload), on a connection of their own; where no such connection exists (an HTTP
 *   driver), the store polls the versions of the keys it watches.
 *
 * @module
 */
import type { CompareAndSetOptions, TokenStore, VersionedValue } from '../../src/contracts.js'
import {
  absentIfNoTable,
  DEFAULT_TABLE,
  isConcurrentCreate,
  isUndefinedTable,
  MAX_TTL_MS,
  rowsOf,
  schemaStatements,
  statements,
  tableNames,
  toVersioned,
} from './postgres-sql.js'
import { listenNotifier, type Notifier, pollNotifier } from './postgres-wake.js'

/**
 * A result row, as drivers return them: column name to value.
 * @group Stores
 */
export type PostgresRow = Record<string, unknown>

/**
 * What the store needs of your client: a parameterized `query` (`$1`, `$2`, …). node-postgres'
 * `Pool` and `Client` fit, and so do the `Pool` of `@neondatabase/serverless` and the query
 * function of its HTTP driver (`neon(url)`, which answers with the rows themselves).
 * @group Stores
 */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): PromiseLike<{ rows: PostgresRow[] } | PostgresRow[]>
}

/**
 * A notification as node-postgres delivers it.
 * @group Stores
 */
export interface PostgresNotification {
  channel: string
  payload?: string | undefined
}

/**
 * A connection that can `LISTEN` (a node-postgres `Client` or `PoolClient`): the store sends
 * `LISTEN` on it and hears notifications through its events.
 * @group Stores
 */
export interface PostgresListenClient {
  query(text: string): PromiseLike<unknown>
  on(event: 'notification', listener: (message: PostgresNotification) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'end', listener: () => void): unknown
  removeListener(event: 'notification' | 'error' | 'end', listener: () => void): unknown
}

/**
 * Your client: a {@link PostgresQueryable}, and `connect()` when it is a pool (node-postgres'
 * `Pool`), which the store uses to take one connection of its own for `LISTEN`.
 * @group Stores
 */
export interface PostgresPool extends PostgresQueryable {
  connect?(): PromiseLike<PostgresListenClient & { release(destroy?: boolean): void }>
}

/**
 * Options of {@link createPostgresStore}.
 * @group Stores
 */
export interface PostgresStoreOptions {
  /**
   * The table, optionally schema-qualified (`auth.bolt_sessions`): lowercase letters, digits
   * and `_`, at most 55 characters in all (its notification channel, `<table>_changed`, must
   * fit PostgreSQL's 63). The schema must exist.
   * @default 'bolt_token_sessions'
   */
  table?: string
  /**
   * Time to live of a record written without one (the token manager always names one: its
   * `sessionTtlMs`), in milliseconds.
   * @default 30 days
   */
  ttlMs?: number
  /**
   * How waiters wake. A connection that can `LISTEN` (a connected node-postgres `Client`
   * that you close yourself): the store listens on it. `false`: poll every
   * `pollIntervalMs`, for drivers or poolers without `LISTEN` (PgBouncer in transaction
   * mode, Neon's pooled endpoint). Without it, the store takes one connection of its own
   * from `pool.connect()` and releases it on `close()` (so a node-postgres pool of `max: 1`
   * is refused); a client without `connect` (Neon's HTTP driver) polls.
   */
  listen?: PostgresListenClient | false
  /**
   * How often the store reads the versions of the keys it watches when it polls, in
   * milliseconds (one query per interval for all of them, only while someone waits).
   * @default 250
   */
  pollIntervalMs?: number
  /**
   * The least time between two sweeps of expired rows, in milliseconds. A sweep follows a
   * write; `Infinity` leaves sweeping to you ({@link PostgresStore.sweep}).
   * @default 60 000
   */
  sweepIntervalMs?: number
  /**
   * The most rows one sweep deletes.
   * @default 100
   */
  sweepLimit?: number
}

/**
 * The PostgreSQL store: a {@link TokenStore} plus `sweep()` and `close()`.
 * @group Stores
 */
export interface PostgresStore extends TokenStore {
  /**
   * Deletes up to `sweepLimit` rows that have been expired for more than a minute (the
   * minute lets a polling waiter see a delete before its row goes), and resolves with how
   * many it deleted. The store runs it itself after writes; call it from a job if you like.
   */
  sweep(): Promise<number>
  /** Releases the store's `LISTEN` connection and stops polling. Your client stays open. */
  close(): Promise<void>
}

/**
 * The DDL of the store's table, for those who create it in a migration (the store creates it
 * on first write otherwise): a table and an index, as statements ending in `;`.
 *
 * @example
 * ```ts
 * import { postgresStoreSchema } from 'bolt-token-lifecycle/postgres'
 * await pool.query(postgresStoreSchema('bolt_token_sessions'))
 * ```
 * @group Stores
 */
export function postgresStoreSchema(table: string = DEFAULT_TABLE): string {
  return `${schemaStatements(tableNames(table)).join(';\n')};\n`
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new TypeError(`createPostgresStore: ${name} must be > 0, got ${value}`)
  return value
}

/**
 * Creates a {@link TokenStore} on your PostgreSQL client (see {@link PostgresQueryable}).
 * The store never closes your client. With a node-postgres `Pool` it takes one connection
 * for `LISTEN` (on the first wait) and keeps it until `close()`; give the pool a
 * `connectionTimeoutMillis` and a `statement_timeout`/`query_timeout` so that an unreachable
 * database fails fast (`STORE_UNAVAILABLE`) instead of queueing.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresStore } from 'bolt-token-lifecycle/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, query_timeout: 2_000 })
 * const store = createPostgresStore(pool)
 * const tokens = createTokenManager({ clientId, clientSecret, store })
 * ```
 * @group Stores
 */
export function createPostgresStore(
  pool: PostgresPool,
  options: PostgresStoreOptions = {},
): PostgresStore {
  const names = tableNames(options.table ?? DEFAULT_TABLE)
  const sql = statements(names)
  const { channel } = names
  const defaultTtlMs = options.ttlMs ?? 30 * 24 * 3_600_000
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 250)
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000
  const sweepLimit = positive('sweepLimit', Math.floor(options.sweepLimit ?? 100))

  const subscribers = new Map<string, Set<() => void>>()
  const wake = (key: string) => {
    for (const listener of [...(subscribers.get(key) ?? [])]) {
      try {
        listener()
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }
  const wakeAll = () => {
    for (const key of [...subscribers.keys()]) wake(key)
  }

  const readVersions = async (keys: string[]) => {
    const result = await Promise.resolve(pool.query(sql.versions, [keys])).catch(absentIfNoTable)
    const versions = new Map<string, string>()
    for (const row of result === undefined ? [] : rowsOf(result)) {
      versions.set(String(row.key), String(row.version))
    }
    return versions
  }

  const { listen } = options
  const connect = pool.connect?.bind(pool)
  // node-postgres' Pool keeps its size in `options.max`: a pool of one would lend its only
  // connection to LISTEN for good, and every query would then wait for it.
  if (listen === undefined && (pool as { options?: { max?: unknown } }).options?.max === 1) {
    throw new TypeError(
      'createPostgresStore: this pool has max 1, and the store would hold that one connection ' +
        'to LISTEN; give the pool more connections, or pass listen: false (poll) or listen: a ' +
        'client of your own',
    )
  }
  const notifier: Notifier =
    listen === false || (listen === undefined && connect === undefined)
      ? pollNotifier(readVersions, pollIntervalMs, wake)
      : listenNotifier(
          listen === undefined
            ? async () => {
                const client = await (connect as NonNullable<typeof connect>)()
                return { client, release: async () => client.release(true) }
              }
            : async () => ({
                client: listen,
                release: async () => {
                  await listen.query(`UNLISTEN "${channel}"`)
                },
              }),
          channel,
          pollIntervalMs,
          wake,
          wakeAll,
          () => subscribers.size > 0,
        )

  let creating: Promise<void> | undefined
  async function createTable(): Promise<void> {
    for (const statement of schemaStatements(names)) {
      try {
        await pool.query(statement)
      } catch (error) {
        // Another session created it first; now it exists, and IF NOT EXISTS says so.
        if (!isConcurrentCreate(error)) throw error
        await pool.query(statement)
      }
    }
  }
  const ensureTable = () => {
    creating ??= createTable().finally(() => {
      creating = undefined
    })
    return creating
  }

  let lastSweep = Number.NEGATIVE_INFINITY
  let sweeping: Promise<unknown> | undefined
  async function sweep(): Promise<number> {
    const result = await Promise.resolve(pool.query(sql.sweep, [sweepLimit])).catch(absentIfNoTable)
    return result === undefined ? 0 : Number(rowsOf(result)[0]?.swept ?? 0)
  }
  function sweepNowAndThen(): void {
    if (sweeping !== undefined || Date.now() - lastSweep < sweepIntervalMs) return
    lastSweep = Date.now()
    sweeping = sweep()
      .catch(() => {
        // best effort: the next interval tries again
      })
      .finally(() => {
        sweeping = undefined
      })
  }

  async function write(text: string, values: unknown[]): Promise<number | undefined> {
    const row = rowsOf(await pool.query(text, values))[0]
    return row === undefined ? undefined : Number(row.version)
  }

  return {
    // Not async: the valid-token path, where every extra promise hop costs throughput.
    get(key): PromiseLike<VersionedValue | undefined> {
      return pool.query(sql.get, [key]).then(toVersioned, absentIfNoTable)
    },

    async time() {
      return Number(rowsOf(await pool.query(sql.time))[0]?.now)
    },

    async compareAndSet(
      key,
      value,
      { expectedVersion, ttlMs = defaultTtlMs }: CompareAndSetOptions,
    ) {
      const ttl = ttlMs > 0 ? Math.min(Math.ceil(ttlMs), MAX_TTL_MS) : 0
      let version: number | undefined
      if (expectedVersion === 0) {
        const values = [key, channel, value, ttl]
        try {
          version = await write(sql.create, values)
        } catch (error) {
          if (!isUndefinedTable(error)) throw error
          await ensureTable()
          version = await write(sql.create, values)
        }
      } else {
        version = await write(sql.replace, [key, channel, value, ttl, expectedVersion]).catch(
          absentIfNoTable,
        )
      }
      if (version !== undefined) sweepNowAndThen()
      return version
    },

    async delete(key) {
      await Promise.resolve(pool.query(sql.delete, [key, channel])).catch(absentIfNoTable)
    },

    async subscribe(key, listener) {
      let listeners = subscribers.get(key)
      if (listeners === undefined) {
        listeners = new Set()
        subscribers.set(key, listeners)
      }
      const own = listeners
      own.add(listener)
      const unsubscribe = () => {
        own.delete(listener)
        if (own.size === 0 && subscribers.get(key) === own) {
          subscribers.delete(key)
          notifier.unwatch(key)
        }
      }
      try {
        await notifier.watch(key)
      } catch (error) {
        unsubscribe()
        throw error
      }
      return unsubscribe
    },

    sweep,

    async close() {
      subscribers.clear()
      await Promise.all([notifier.close(), sweeping])
    },
  }
}
