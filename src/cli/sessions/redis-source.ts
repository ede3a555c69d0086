/**
 * The Redis (or Redis Cluster) session source: `SCAN … MATCH <prefix>{*} COUNT n` (never
 * `KEYS`), each batch's records and TTLs read with one pipeline, writes through the Redis
 * store's own compare-and-set script. On a cluster, every master is scanned in turn (keys are
 * `<prefix>{<store key>}`, a hash tag, so they spread over all of them); the cursor then names
 * the master and its own cursor.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis'
import { dataKeyOf, parseRecord } from '../../../adapters/storage/redis-protocol.js'
import { AdminCommandError, EXIT, usageError } from './exit-codes.js'
import type { ScanPage, SessionSource, StoredSession } from './source.js'

/** Options of {@link openRedisSource}. */
export interface RedisSourceOptions {
  url: string
  prefix: string
  /** Receives the Redis store's warnings (eviction policy) as one line each. */
  warn: (line: string) => void
}

/** A glob that matches `text` literally (Redis `MATCH` treats `*?[]\` as special). */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\^]/g, (special) => `\\${special}`)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The URL's `host:port`, never its user name or password. */
function hostOf(url: URL): string {
  return `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`
}

async function loadIoredis() {
  try {
    return await import('ioredis')
  } catch {
    throw usageError(
      '--redis needs the ioredis package, which your token manager uses with the Redis store: npm install ioredis',
    )
  }
}

function unreachable(where: string, error: unknown): AdminCommandError {
  const reason = error instanceof Error ? error.message : String(error)
  const refused = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(reason)
  return new AdminCommandError(
    EXIT.STORE_UNAVAILABLE,
    refused
      ? `Redis at ${where} refused the credentials in --redis (${reason.split('\n')[0]}): check the user name and password (redis://user:password@host:port).`
      : `Could not reach Redis at ${where} (${reason.split('\n')[0]}): check --redis (redis://[user:password@]host:port[/db], rediss:// for TLS) and that Redis runs there.`,
    { cause: error },
  )
}

/** Connects one client, turning ioredis' events into one actionable error. */
async function connect(client: Redis | Cluster, where: string): Promise<void> {
  let last: unknown
  client.on('error', (error: unknown) => {
    last = error
  })
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    client.disconnect()
    throw unreachable(where, last ?? error)
  }
}

/** Reads the records (and TTLs) of scanned keys with one pipeline on the node that has them. */
async function readBatch(
  node: Redis,
  keys: string[],
  storeKeyOf: (redisKey: string) => string | undefined,
): Promise<StoredSession[]> {
  const wanted = keys.flatMap((redisKey) => {
    const key = storeKeyOf(redisKey)
    return key === undefined ? [] : [{ redisKey, key }]
  })
  if (wanted.length === 0) return []
  const pipeline = node.pipeline()
  for (const { redisKey } of wanted) pipeline.get(redisKey).pttl(redisKey)
  const replies = (await pipeline.exec()) ?? []
  const sessions: StoredSession[] = []
  wanted.forEach(({ key }, index) => {
    const [getError, raw] = replies[2 * index] ?? []
    const [, ttl] = replies[2 * index + 1] ?? []
    // Another type at the key (WRONGTYPE), or gone since the scan: not a session record.
    if (getError != null || typeof raw !== 'string') return
    const parsed = parseRecord(raw)
    if (parsed === undefined || ttl === -2) return
    sessions.push({ key, ...parsed, ttlMs: typeof ttl === 'number' && ttl >= 0 ? ttl : undefined })
  })
  return sessions
}

/**
 * Connects to the Redis at `url` (a cluster when the node says `cluster_enabled:1`) and
 * returns the session source of `prefix`.
 *
 * @throws {AdminCommandError} `STORE_UNAVAILABLE` when Redis cannot be reached or refuses the
 *   credentials; `USAGE` for a URL that is not one.
 */
export async function openRedisSource(options: RedisSourceOptions): Promise<SessionSource> {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw usageError(
      '--redis must be a URL: redis://[user:password@]host:port[/db] (rediss:// for TLS).',
    )
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw usageError(`--redis must be a redis:// or rediss:// URL, not ${url.protocol}//…`)
  }
  const where = hostOf(url)
  const { Redis, Cluster } = await loadIoredis()
  const common = { commandTimeout: 10_000, maxRetriesPerRequest: 1, connectTimeout: 5_000 }
  const seed = new Redis(options.url, { ...common, lazyConnect: true, retryStrategy: () => null })
  await connect(seed, where)
  const clusterEnabled = /cluster_enabled:1/.test(await seed.info('cluster'))
  let client: Redis | Cluster = seed
  if (clusterEnabled) {
    seed.disconnect()
    const cluster = new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      lazyConnect: true,
      clusterRetryStrategy: () => null,
      redisOptions: {
        ...common,
        ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
        ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
        ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    })
    await connect(cluster, where)
    client = cluster
  }
  const { createRedisStore } = await import('../../../adapters/storage/redis.js')
  const store = createRedisStore(client, {
    prefix: options.prefix,
    onWarning: (warning) => options.warn(warning.message),
  })

  const pattern = `${globLiteral(options.prefix)}{*}`
  const shape = new RegExp(`^${escapeRegExp(options.prefix)}\\{([A-Za-z0-9_-]{43})\\}$`)
  const storeKeyOf = (redisKey: string) => shape.exec(redisKey)?.[1]
  const mastersByAddress = (): Map<string, Redis> => {
    if (!clusterEnabled) return new Map([['', client as Redis]])
    const nodes = (client as Cluster).nodes('master')
    const named = nodes.map(
      (node) => [`${node.options.host}:${node.options.port}`, node] as [string, Redis],
    )
    return new Map(named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  }

  return {
    description: clusterEnabled
      ? `Redis Cluster via ${where} (${mastersByAddress().size} masters), prefix "${options.prefix}"`
      : `Redis at ${where}${url.pathname.length > 1 ? ` (db ${url.pathname.slice(1)})` : ''}, prefix "${options.prefix}"`,
    store,

    async scan(cursor, count): Promise<ScanPage> {
      const masters = mastersByAddress()
      const addresses = [...masters.keys()]
      // A cluster cursor is `<master host:port>@<that master's cursor>`.
      const at = cursor.lastIndexOf('@')
      const address = cursor === '' ? (addresses[0] ?? '') : at < 0 ? '' : cursor.slice(0, at)
      const nodeCursor = cursor === '' ? '0' : cursor.slice(at + 1)
      const node = masters.get(address)
      if (node === undefined) {
        throw usageError(
          `The checkpoint names a Redis master (${address || 'a single node'}) this Redis does not have: the topology changed since it was saved. Run again without --resume (records already under the current key are skipped).`,
        )
      }
      const [nextCursor, keys] = await node.scan(nodeCursor, 'MATCH', pattern, 'COUNT', count)
      const sessions = await readBatch(node, keys, storeKeyOf)
      let next: string | null = `${address}@${nextCursor}`
      if (nextCursor === '0') {
        const following = addresses[addresses.indexOf(address) + 1]
        next = following === undefined ? null : `${following}@0`
      }
      return { sessions, next }
    },

    async read(key) {
      const redisKey = dataKeyOf(options.prefix, key)
      const [raw, ttl] = await Promise.all([client.get(redisKey), client.pttl(redisKey)])
      const parsed = parseRecord(raw)
      if (parsed === undefined || ttl === -2) return undefined
      return { key, ...parsed, ttlMs: ttl >= 0 ? ttl : undefined }
    },

    async estimate() {
      const sizes = await Promise.all([...mastersByAddress().values()].map((node) => node.dbsize()))
      return { count: sizes.reduce((sum, size) => sum + size, 0), exact: false }
    },

    async close() {
      await store.close()
      await client.quit().catch(() => client.disconnect())
    },
  }
}
