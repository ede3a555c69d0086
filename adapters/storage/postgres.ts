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

/** The default table name. */
const DEFAULT_TABLE = 'bolt_token_sessions'
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/
const MAX_TABLE_NAME = 55
const CHANNEL_SUFFIX = '_changed'
/** A TTL beyond a century is a mistake; it would also overflow PostgreSQL's interval. */
const MAX_TTL_MS = 100 * 365 * 86_400_000

interface TableNames {
  /** `"schema"."table"` or `"table"`. */
  quoted: string
  /** The `LISTEN` channel: `<table>_changed`. */
  channel: string
  /** The index on `expires_at`. */
  index: string
}

function tableNames(table: string): TableNames {
  const parts = table.split('.')
  const name = parts.at(-1) ?? ''
  if (
    parts.length > 2 ||
    !parts.every((part) => IDENTIFIER.test(part)) ||
    table.length > MAX_TABLE_NAME
  ) {
    throw new TypeError(
      `createPostgresStore: table must be a lowercase SQL identifier (a-z, 0-9, _; not starting ` +
        `with a digit), optionally schema-qualified, at most ${MAX_TABLE_NAME} characters, e.g. ` +
        `"${DEFAULT_TABLE}" or "auth.${DEFAULT_TABLE}"; got ${JSON.stringify(table)}`,
    )
  }
  return {
    quoted: parts.map((part) => `"${part}"`).join('.'),
    channel: `${table}${CHANNEL_SUFFIX}`,
    index: `${name}_expires`,
  }
}

function schemaStatements({ quoted, index }: TableNames): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${quoted} (
  key text PRIMARY KEY,
  value text NOT NULL,
  version bigint NOT NULL,
  expires_at timestamptz NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS "${index}" ON ${quoted} (expires_at)`,
  ]
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

/** The store's statements on one table. Parameters: $1 key, $2 channel, then the rest. */
function statements({ quoted }: TableNames) {
  const expiresAt = `now() + $4::double precision * interval '1 millisecond'`
  // A swept row has been expired for a minute: a polling waiter has seen its last version.
  const sweepable = `expires_at < now() - interval '1 minute'`
  return {
    get: `SELECT value, version FROM ${quoted} WHERE key = $1 AND expires_at > now()`,
    // A new key's version is the database clock in microseconds, and a revived one's is
    // above both that and its old version: a key deleted and written again never repeats a
    // version that a slow writer may still hold.
    create: `WITH written AS (
  INSERT INTO ${quoted} AS stored (key, value, version, expires_at)
  VALUES ($1, $3, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, ${expiresAt})
  ON CONFLICT (key) DO UPDATE
    SET value = excluded.value,
        version = greatest(stored.version + 1, excluded.version),
        expires_at = excluded.expires_at
    WHERE stored.expires_at <= now()
  RETURNING version
)
SELECT version, pg_notify($2, $1) AS notified FROM written`,
    replace: `WITH written AS (
  UPDATE ${quoted} SET value = $3, version = version + 1, expires_at = ${expiresAt}
  WHERE key = $1 AND version = $5 AND expires_at > now()
  RETURNING version
)
SELECT version, pg_notify($2, $1) AS notified FROM written`,
    delete: `WITH written AS (
  UPDATE ${quoted} SET value = '', version = version + 1, expires_at = now()
  WHERE key = $1 AND expires_at > now()
  RETURNING version
)
SELECT pg_notify($2, $1) AS notified FROM written`,
    // Expired or not: a delete (a tombstone) must count as a change for a polling waiter.
    versions: `SELECT key, version FROM ${quoted} WHERE key = ANY($1::text[])`,
    sweep: `WITH swept AS (
  DELETE FROM ${quoted} WHERE ${sweepable} AND key IN (
    SELECT key FROM ${quoted} WHERE ${sweepable}
    ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
  )
  RETURNING 1
)
SELECT count(*) AS swept FROM swept`,
  }
}

function rowsOf(result: { rows: PostgresRow[] } | PostgresRow[]): PostgresRow[] {
  return Array.isArray(result) ? result : result.rows
}

/** The error's SQLSTATE, as node-postgres and Neon's driver expose it. */
function sqlState(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined
}

const isUndefinedTable = (error: unknown) => sqlState(error) === '42P01'
/** Two sessions creating the table at once: one of them loses on the catalog's unique index. */
const isConcurrentCreate = (error: unknown) =>
  sqlState(error) === '23505' || sqlState(error) === '42P07'

function toVersioned(result: { rows: PostgresRow[] } | PostgresRow[]): VersionedValue | undefined {
  const row = rowsOf(result)[0]
  if (row === undefined || typeof row.value !== 'string') return undefined
  return { value: row.value, version: Number(row.version) }
}

function absentIfNoTable(error: unknown): undefined {
  if (isUndefinedTable(error)) return undefined
  throw error
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new TypeError(`createPostgresStore: ${name} must be > 0, got ${value}`)
  return value
}

/** How waiters wake: a `LISTEN` connection, or polling. */
interface Notifier {
  /** Resolves once a change of `key` made after it is sure to be reported. */
  watch(key: string): Promise<void>
  unwatch(key: string): void
  close(): Promise<void>
}

interface ListenConnection {
  client: PostgresListenClient
  release(): Promise<void>
}

/**
 * One `LISTEN` for every key of the table. When the connection is lost, every waiter is
 * woken (changes may have been missed) and the store listens again, waking them once more.
 */
function listenNotifier(
  acquire: () => Promise<ListenConnection>,
  channel: string,
  retryMs: number,
  wake: (key: string) => void,
  wakeAll: () => void,
  isWatching: () => boolean,
): Notifier {
  let active: Promise<ListenConnection> | undefined
  let current: ListenConnection | undefined
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined

  async function start(): Promise<ListenConnection> {
    const acquired = await acquire()
    const { client } = acquired
    let ended = false
    const end = async () => {
      if (ended) return
      ended = true
      client.removeListener('notification', onNotification as () => void)
      client.removeListener('error', onLost)
      client.removeListener('end', onLost)
      await acquired.release()
    }
    const connection: ListenConnection = { client, release: end }
    function onNotification(message: PostgresNotification) {
      if (message.channel === channel && message.payload !== undefined) wake(message.payload)
    }
    function onLost() {
      if (ended) return
      end().catch(() => {})
      if (current === connection) {
        current = undefined
        active = undefined
      }
      wakeAll()
      relisten()
    }
    client.on('notification', onNotification)
    client.on('error', onLost)
    client.on('end', onLost)
    try {
      await client.query(`LISTEN "${channel}"`)
    } catch (error) {
      await end().catch(() => {})
      throw error
    }
    current = connection
    return connection
  }

  function listening(): Promise<ListenConnection> {
    if (active === undefined) {
      const starting = start()
      active = starting
      starting.catch(() => {
        if (active === starting) active = undefined
      })
    }
    return active
  }

  function relisten(): void {
    if (closed || !isWatching() || retry !== undefined) return
    retry = setTimeout(() => {
      retry = undefined
      if (closed || !isWatching()) return
      listening().then(wakeAll, relisten)
    }, retryMs)
  }

  async function close(): Promise<void> {
    closed = true
    clearTimeout(retry)
    const connection = await active?.catch(() => undefined)
    active = undefined
    current = undefined
    await connection?.release().catch(() => {})
  }

  return {
    async watch() {
      await listening()
      // Closed while LISTEN was starting: give the connection back.
      if (closed) await close()
    },
    unwatch() {},
    close,
  }
}

/** Reads the versions of the watched keys every `intervalMs`; a different one is a change. */
function pollNotifier(
  readVersions: (keys: string[]) => Promise<Map<string, string>>,
  intervalMs: number,
  wake: (key: string) => void,
): Notifier {
  /** The version last seen of each watched key, `''` when absent. */
  const seen = new Map<string, string>()
  const watched = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false

  async function poll(): Promise<void> {
    timer = undefined
    const keys = [...seen.keys()]
    if (closed || keys.length === 0) return
    try {
      const versions = await readVersions(keys)
      for (const key of keys) {
        const version = versions.get(key) ?? ''
        if (!seen.has(key) || seen.get(key) === version) continue
        seen.set(key, version)
        wake(key)
      }
    } catch {
      // the database is away: the next poll tries again, and the waiters re-read on their own
    }
    schedule()
  }

  function schedule(): void {
    if (timer === undefined && !closed && seen.size > 0) timer = setTimeout(poll, intervalMs)
  }

  return {
    async watch(key) {
      watched.add(key)
      if (seen.has(key)) return
      const version = (await readVersions([key])).get(key) ?? ''
      if (watched.has(key) && !seen.has(key)) seen.set(key, version)
      schedule()
    },
    unwatch(key) {
      watched.delete(key)
      seen.delete(key)
    },
    async close() {
      closed = true
      clearTimeout(timer)
      seen.clear()
    },
  }
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
