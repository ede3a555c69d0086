/**
 * The Redis session store, for several backend instances sharing sessions: on it they
 * refresh each session exactly once per rotation.
 *
 * Layout (shared with the Upstash store, see `redis-protocol.ts`): one string per session,
 * `{prefix}{{key}}` = `<version>:<record>`; its change channel is the same name plus
 * `:changed`. The braces are a hash tag, so a session's key and channel sit in one cluster
 * slot. A read is one `GET` (the cheapest read Redis has); a compare-and-set is one Lua script
 * (check version, write with the TTL, publish). Anything else at a session's key (another
 * type, a string without a version) reads as absent, and the next login replaces it.
 * Notifications use `SPUBLISH`/`SSUBSCRIBE` on Redis ≥ 7 (so they work on a cluster) and
 * `PUBLISH`/`SUBSCRIBE` before; waiters also poll, so a lost message only costs latency.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis'
import type { CompareAndSetOptions, TokenStore, VersionedValue } from '../../src/contracts.js'
import {
  createRedisHealth,
  guarded,
  type RedisStoreWarning,
  warnOnConsole,
} from './redis-health.js'
import {
  COMPARE_AND_SET_SCRIPT,
  channelOf as channelName,
  DEFAULT_PREFIX,
  DEFAULT_TTL_MS,
  DELETE_SCRIPT,
  dataKeyOf,
  epochMsOfTime,
  parseRecord,
  TIME_SCRIPT,
  ttlArgument,
} from './redis-protocol.js'
import { type Client, evalAndWait, evalScript, withoutArgs } from './redis-scripts.js'

export type { RedisStoreWarning } from './redis-health.js'

/**
 * Options of {@link createRedisStore}.
 * @group Stores
 */
export interface RedisStoreOptions {
  /**
   * Receives the store's warnings, each at most once per store: a client without
   * `commandTimeout` (at creation), a server that may evict live sessions or that refused the
   * check (`CONFIG GET maxmemory*` on first use). See {@link RedisStoreWarning}.
   * @default `console.warn` of the warning's message
   * @example `onWarning: (warning) => logger.warn({ code: warning.code }, warning.message)`
   */
  onWarning?: (warning: RedisStoreWarning) => void
  /**
   * Prefix of every key and channel: isolates applications sharing one Redis.
   * @default 'bolt-tokens:'
   */
  prefix?: string
  /**
   * Time to live of a record written without one (the token manager always names one:
   * its `sessionTtlMs`), in milliseconds.
   * @default 30 days
   */
  ttlMs?: number
  /**
   * Replicas that must acknowledge every write before it counts as done. After each
   * compare-and-set that wrote (taking a refresh lease as much as storing its rotation: a lease
   * lost in a failover lets two instances refresh), the store sends `WAIT replicas
   * replicaTimeoutMs` on the connection that wrote, and throws when fewer replicas acknowledged
   * it. The manager then keeps a refresh's rotated tokens in memory, hands them to its callers,
   * and saves them again, fenced by version, before the session is written by anyone else
   * (see "Failover" in docs/redis.md). `0`: no waiting (Redis replicates asynchronously, and a
   * failover may lose the last writes).
   * @default 0
   */
  replicas?: number
  /**
   * How long `WAIT` may block for the acknowledgements of {@link replicas}, in milliseconds
   * (Redis's `0`, wait forever, is not accepted). Keep it below the client's `commandTimeout`.
   * @default 500
   */
  replicaTimeoutMs?: number
}

/**
 * The Redis store: a {@link TokenStore} plus `close()` for its own subscriber connection.
 * @group Stores
 */
export interface RedisStore extends TokenStore {
  /** Closes the connections this store opened (subscriber, writers). Your client stays open. */
  close(): Promise<void>
}

/** Connections a store with `replicas` writes through at most (each blocks during its WAIT). */
const WRITE_CONNECTIONS = 8

/** A key of another type: a foreign or corrupt record, which reads as absent (the script agrees). */
function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE')
}

function absentIfWrongType(error: unknown): undefined {
  if (isWrongType(error)) return undefined
  throw withoutArgs(error)
}

interface Channel {
  listeners: Set<() => void>
  ready: Promise<void>
}

async function supportsShardedPubSub(client: Client): Promise<boolean> {
  const info = await client.info('server')
  const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? '0')
  return major >= 7
}

/**
 * Creates a {@link TokenStore} on your ioredis client (`Redis` or `Cluster`). The store
 * never closes your client; it opens one extra connection (a duplicate) for notifications,
 * and with `replicas` up to 8 more for writes, closed by `close()`.
 *
 * Give the client a `commandTimeout` so that an unreachable Redis fails fast
 * (`STORE_UNAVAILABLE`, naming the host and port) instead of queueing; without one the store
 * warns once. On first use it also checks that the server cannot evict live sessions (see
 * {@link RedisStoreWarning}).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createRedisStore } from 'bolt-token-lifecycle/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!, { commandTimeout: 1_000 })
 * const tokens = createTokenManager({ clientId, clientSecret, store: createRedisStore(redis) })
 * ```
 * @group Stores
 */
export function createRedisStore(client: Client, options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX
  const defaultTtlMs = options.ttlMs ?? DEFAULT_TTL_MS
  const replicas = options.replicas ?? 0
  const replicaTimeoutMs = options.replicaTimeoutMs ?? 500
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new TypeError(`createRedisStore: replicas must be a whole number ≥ 0 (got ${replicas})`)
  }
  if (!Number.isInteger(replicaTimeoutMs) || replicaTimeoutMs <= 0) {
    throw new TypeError(
      `createRedisStore: replicaTimeoutMs must be a whole number of milliseconds > 0 (got ${replicaTimeoutMs})`,
    )
  }
  const dataKey = (key: string) => dataKeyOf(prefix, key)
  const channelOf = (key: string) => channelName(prefix, key)
  const health = createRedisHealth(client, options.onWarning ?? warnOnConsole)
  const absentOrLocated = (error: unknown) => absentIfWrongType(health.located(error))

  let sharded: Promise<boolean> | undefined
  const isSharded = () => {
    sharded ??= supportsShardedPubSub(client).catch((error: unknown) => {
      sharded = undefined
      throw error
    })
    return sharded
  }

  // With `replicas`, writes go through connections of their own: WAIT blocks the connection it
  // is sent on until the replicas answer, so reads (the valid-token path) must not queue
  // behind it, nor writes behind each other's WAIT: a small pool, one write at a time each.
  const writers: Client[] = []
  const idleWriters: Client[] = []
  const writerQueue: ((writer: Client) => void)[] = []
  async function withWriter<T>(use: (writer: Client) => Promise<T>): Promise<T> {
    let writer = idleWriters.pop()
    if (writer === undefined && writers.length < WRITE_CONNECTIONS) {
      const created: Client = client.isCluster
        ? (client as Cluster).duplicate()
        : (client as Redis).duplicate()
      // Errors surface through the commands' rejections; without a listener ioredis logs them.
      created.on('error', () => {})
      writers.push(created)
      writer = created
    }
    const mine = writer ?? (await new Promise<Client>((resolve) => writerQueue.push(resolve)))
    try {
      return await use(mine)
    } finally {
      const next = writerQueue.shift()
      if (next !== undefined) next(mine)
      else if (writers.includes(mine)) idleWriters.push(mine)
    }
  }

  let subscriber: Client | undefined
  const channels = new Map<string, Channel>()

  async function subscriberConnection(): Promise<Client> {
    if (subscriber !== undefined) return subscriber
    const useSharded = await isSharded()
    // Another caller may have created it while we awaited.
    if (subscriber !== undefined) return subscriber
    const created: Client = client.isCluster
      ? (client as Cluster).duplicate(undefined, { shardedSubscribers: useSharded })
      : (client as Redis).duplicate()
    created.on(useSharded ? 'smessage' : 'message', (channel: string) => {
      const entry = channels.get(channel)
      if (entry === undefined) return
      for (const listener of [...entry.listeners]) {
        try {
          listener()
        } catch {
          // a listener's failure must not stop the others
        }
      }
    })
    // Errors surface through the commands' rejections; without a listener ioredis would log them.
    created.on('error', () => {})
    subscriber = created
    return created
  }

  async function startListening(channel: string): Promise<void> {
    const connection = await subscriberConnection()
    if (await isSharded()) await connection.ssubscribe(channel)
    else await connection.subscribe(channel)
  }

  function stopListening(channel: string): void {
    const connection = subscriber
    if (connection === undefined) return
    const stop = async () => {
      if (await isSharded()) await connection.sunsubscribe(channel)
      else await connection.unsubscribe(channel)
    }
    stop().catch(() => {
      // the connection may be closing; nothing is left to stop
    })
  }

  const store: RedisStore = {
    // Not async: the valid-token path, where every extra promise hop costs throughput.
    get(key): Promise<VersionedValue | undefined> {
      return client.get(dataKey(key)).then(parseRecord, absentOrLocated)
    },

    async time() {
      // A script naming one fixed key: on a Cluster every instance reads the same master's
      // clock (a bare TIME goes to any node). No session key is `lease-clock` (they are HMACs).
      try {
        return epochMsOfTime(await evalScript(client, TIME_SCRIPT, [dataKey('lease-clock')], []))
      } catch (error) {
        throw health.located(error)
      }
    },

    async compareAndSet(
      key,
      value,
      { expectedVersion, ttlMs = defaultTtlMs }: CompareAndSetOptions,
    ) {
      const ttl = ttlArgument(ttlMs)
      const keys = [dataKey(key), channelOf(key)]
      const args = [String(expectedVersion), value, ttl, (await isSharded()) ? '1' : '0']
      const result =
        replicas > 0
          ? await withWriter((writer) =>
              evalAndWait(writer, COMPARE_AND_SET_SCRIPT, keys, args, replicas, replicaTimeoutMs),
            )
          : await evalScript(client, COMPARE_AND_SET_SCRIPT, keys, args)
      return result === null ? undefined : Number(result)
    },

    async delete(key) {
      await evalScript(
        client,
        DELETE_SCRIPT,
        [dataKey(key), channelOf(key)],
        [(await isSharded()) ? '1' : '0'],
      )
    },

    async subscribe(key, listener) {
      const channel = channelOf(key)
      let entry = channels.get(channel)
      if (entry === undefined) {
        const ready = startListening(channel)
        entry = { listeners: new Set(), ready }
        channels.set(channel, entry)
        ready.catch(() => {
          if (channels.get(channel) === entry) channels.delete(channel)
        })
      }
      entry.listeners.add(listener)
      await entry.ready
      const subscribed = entry
      return () => {
        subscribed.listeners.delete(listener)
        if (subscribed.listeners.size === 0 && channels.get(channel) === subscribed) {
          channels.delete(channel)
          stopListening(channel)
        }
      }
    },

    async close() {
      const connection = subscriber
      subscriber = undefined
      channels.clear()
      const opened = writers.splice(0)
      idleWriters.length = 0
      await Promise.all(opened.map((writer) => writer.quit().catch(() => writer.disconnect())))
      if (connection !== undefined) await connection.quit().catch(() => connection.disconnect())
    },
  }
  return guarded(store, health)
}
