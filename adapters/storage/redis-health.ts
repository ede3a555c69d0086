/**
 * What the Redis store checks about its client and its server, and how it says so: a client
 * without `commandTimeout` (an unreachable Redis then makes calls wait instead of failing), a
 * server that may evict live sessions (`maxmemory` with any policy but `noeviction`), and
 * where the store is, named on every error it throws (`storeLocation`, secret-free).
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis'

/**
 * A warning of the Redis store, given once per store to its `onWarning` option.
 *
 * - `EVICTION_POSSIBLE`: the server has a `maxmemory` and a `maxmemory-policy` other than
 *   `noeviction`. Every session key has a TTL, so every such policy (`allkeys-*` and
 *   `volatile-*` alike) may delete live sessions when memory runs short: their shoppers are
 *   logged out.
 * - `EVICTION_UNCHECKED`: the server refused `CONFIG GET` (managed Redis, an ACL without
 *   `+config`), so the check above could not run.
 * - `NO_COMMAND_TIMEOUT`: the client has no `commandTimeout`: while Redis is unreachable,
 *   ioredis queues and retries each call instead of failing it.
 *
 * `message` is one line saying what to do; it names the server's host and port, never a
 * password or user name.
 * @group Stores
 */
export interface RedisStoreWarning {
  code: 'EVICTION_POSSIBLE' | 'EVICTION_UNCHECKED' | 'NO_COMMAND_TIMEOUT'
  message: string
}

type Client = Redis | Cluster

/** `console.warn` of the warning's one line: the default of the `onWarning` option. */
export function warnOnConsole(warning: RedisStoreWarning): void {
  console.warn(warning.message)
}

/** `host:port`, with brackets around an IPv6 host. */
function hostPort(host: string | undefined, port: number | undefined): string {
  const name = host ?? 'localhost'
  return `${name.includes(':') ? `[${name}]` : name}:${port ?? 6379}`
}

/** The nodes a message names: at most three, then how many more. */
function listNodes(nodes: string[]): string {
  const shown = nodes.slice(0, 3).join(', ')
  return nodes.length > 3 ? `${shown} and ${nodes.length - 3} more` : shown
}

/**
 * Where `client` connects, for messages: `Redis at 127.0.0.1:6379`, a Unix socket, a Sentinel
 * group, or a cluster's known masters. Only hosts, ports, paths and names: never a password
 * or user name (a URL's are in `options.password`/`options.username`, not in `host`).
 */
export function redisLocation(client: Client): string {
  if (client.isCluster) {
    const masters = (client as Cluster)
      .nodes('master')
      .map((node) => hostPort(node.options.host, node.options.port))
    return masters.length === 0 ? 'Redis cluster' : `Redis cluster at ${listNodes(masters)}`
  }
  const { path, sentinels, name, host, port } = (client as Redis).options
  if (typeof path === 'string' && path !== '') return `Redis at unix socket ${path}`
  if (Array.isArray(sentinels) && sentinels.length > 0) {
    const via = sentinels.map((sentinel) => hostPort(sentinel.host, sentinel.port))
    return `Redis master '${name ?? 'mymaster'}' via Sentinel ${listNodes(via)}`
  }
  return `Redis at ${hostPort(host, port)}`
}

/** The client's `commandTimeout` (a cluster's is in `redisOptions`). */
function commandTimeoutOf(client: Client): number | undefined {
  return client.isCluster
    ? (client as Cluster).options.redisOptions?.commandTimeout
    : (client as Redis).options.commandTimeout
}

/** A reply of the server (`ERR unknown command`, `NOPERM`), as opposed to a connection failure. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError'
}

/** The reply's leading error code (`ERR`, `NOPERM`): the rest may name the ACL user. */
function replyCode(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  return /^[A-Z]+/.exec(message)?.[0] ?? 'an error'
}

/** `maxmemory-policy` and `maxmemory` (bytes) from a `CONFIG GET maxmemory*` reply. */
function memorySettings(reply: unknown): { policy: string; maxmemory: number } | undefined {
  if (!Array.isArray(reply)) return undefined
  const settings = new Map<string, string>()
  for (let index = 0; index + 1 < reply.length; index += 2) {
    settings.set(String(reply[index]), String(reply[index + 1]))
  }
  const policy = settings.get('maxmemory-policy')
  const maxmemory = Number(settings.get('maxmemory'))
  if (policy === undefined || !Number.isFinite(maxmemory)) return undefined
  return { policy, maxmemory }
}

/** The servers this check reads: the client itself, or each of a cluster's masters. */
function serversOf(client: Client): { location: string; node: Redis }[] {
  if (!client.isCluster) return [{ location: redisLocation(client), node: client as Redis }]
  return (client as Cluster).nodes('master').map((node) => ({
    location: `Redis at ${hostPort(node.options.host, node.options.port)}`,
    node,
  }))
}

/** The one line of an `EVICTION_POSSIBLE` warning. */
export function evictionMessage(location: string, policy: string, maxmemory: number): string {
  return `bolt-token-lifecycle: ${location} may evict live sessions: its maxmemory-policy is ${policy} with maxmemory ${maxmemory} bytes, and every session key has a TTL, so when memory runs out Redis deletes sessions and logs their shoppers out. Fix: set maxmemory-policy noeviction (a full Redis then fails writes with STORE_UNAVAILABLE and loses nothing), or keep sessions on a Redis instance of their own set to noeviction.`
}

/** The one line of an `EVICTION_UNCHECKED` warning. */
export function uncheckedMessage(location: string, code: string): string {
  return `bolt-token-lifecycle: could not check whether ${location} may evict live sessions (CONFIG GET was refused: ${code}). Make sure its maxmemory-policy is noeviction; an evicting policy logs shoppers out when memory runs short.`
}

/** The one line of a `NO_COMMAND_TIMEOUT` warning. */
export function noCommandTimeoutMessage(location: string): string {
  return `bolt-token-lifecycle: the ioredis client for ${location} has no commandTimeout, so while Redis is unreachable every call waits (ioredis queues and retries it) instead of failing. Set one, e.g. new Redis(url, { commandTimeout: 1_000 }), so that calls fail fast with STORE_UNAVAILABLE.`
}

/** The health checks and error tagging of one Redis store. */
export interface RedisHealth {
  /** Call on every use: the first starts the eviction check in the background. */
  used(): void
  /** `error` with `storeLocation` set (a non-object is wrapped in an Error first). */
  located(error: unknown): unknown
}

/**
 * Creates the health checks of one store on `client`. Warns at once (through `warn`) when
 * the client has no `commandTimeout`; on first use, reads `maxmemory*` with `CONFIG GET` and
 * warns when sessions may be evicted, or once that it could not check. A connection failure
 * is not an answer: the check runs again on a later use.
 */
export function createRedisHealth(
  client: Client,
  warn: (warning: RedisStoreWarning) => void,
): RedisHealth {
  const say = (warning: RedisStoreWarning) => {
    try {
      warn(warning)
    } catch {
      // a failing warning sink never breaks the store
    }
  }
  if (commandTimeoutOf(client) === undefined) {
    say({ code: 'NO_COMMAND_TIMEOUT', message: noCommandTimeoutMessage(redisLocation(client)) })
  }

  let check: 'pending' | 'running' | 'done' = 'pending'

  async function checkEviction(): Promise<void> {
    const servers = serversOf(client)
    if (servers.length === 0) throw new Error('no cluster master known yet')
    const evicting: { location: string; policy: string; maxmemory: number }[] = []
    for (const { location, node } of servers) {
      let reply: unknown
      try {
        reply = await node.config('GET', 'maxmemory*')
      } catch (error) {
        if (!isReplyError(error)) throw error
        say({ code: 'EVICTION_UNCHECKED', message: uncheckedMessage(location, replyCode(error)) })
        return
      }
      const settings = memorySettings(reply)
      if (settings === undefined) {
        say({ code: 'EVICTION_UNCHECKED', message: uncheckedMessage(location, 'no maxmemory') })
        return
      }
      if (settings.policy !== 'noeviction' && settings.maxmemory > 0) {
        evicting.push({ location, ...settings })
      }
    }
    const [first] = evicting
    if (first === undefined) return
    const location =
      evicting.length === 1
        ? first.location
        : `Redis at ${listNodes(evicting.map((server) => server.location.replace(/^Redis at /, '')))}`
    say({
      code: 'EVICTION_POSSIBLE',
      message: evictionMessage(location, first.policy, first.maxmemory),
    })
  }

  return {
    used() {
      if (check !== 'pending') return
      check = 'running'
      checkEviction().then(
        () => {
          check = 'done'
        },
        () => {
          check = 'pending'
        },
      )
    },
    located(error) {
      const tagged = typeof error === 'object' && error !== null ? error : new Error(String(error))
      try {
        ;(tagged as { storeLocation?: string }).storeLocation = redisLocation(client)
      } catch {
        // a frozen error keeps its own message
      }
      return tagged
    },
  }
}

/** The store methods {@link guarded} wraps. */
interface GuardedMethods {
  get(key: string, now?: number): unknown
  compareAndSet(...args: never[]): Promise<unknown>
  delete(...args: never[]): Promise<unknown>
  subscribe(...args: never[]): Promise<unknown>
}

/**
 * `store` with the health checks: each method counts as a use, and the errors of the async
 * ones carry `storeLocation`. `get` only counts as a use: it stays one promise (the
 * valid-token path), so it tags its own errors with {@link RedisHealth.located}.
 */
export function guarded<Store extends GuardedMethods>(store: Store, health: RedisHealth): Store {
  const wrap =
    <Args extends unknown[], Result>(method: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      health.used()
      try {
        return await method(...args)
      } catch (error) {
        throw health.located(error)
      }
    }
  return {
    ...store,
    get: ((key: string, now?: number) => {
      health.used()
      return store.get(key, now)
    }) as Store['get'],
    compareAndSet: wrap(store.compareAndSet.bind(store)) as Store['compareAndSet'],
    delete: wrap(store.delete.bind(store)) as Store['delete'],
    subscribe: wrap(store.subscribe.bind(store)) as Store['subscribe'],
  }
}
