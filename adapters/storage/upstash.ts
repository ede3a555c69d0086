/**
 * The Upstash store: Redis over HTTP with `@upstash/redis` (Upstash, and Vercel KV, which is
 * Upstash), for runtimes without TCP sockets: Cloudflare Workers, Vercel Edge, Deno Deploy,
 * as well as Node and Bun.
 *
 * It keeps the Redis store's layout and runs its Lua script (`redis-protocol.ts`), so both
 * stores may share one database. A valid-token read is one `GET`, one HTTP request. A
 * compare-and-set is one `EVALSHA` of the shared script (`EVAL` once if the server lacks it).
 * HTTP has no subscriptions, so waiters are woken by polling (see
 * {@link UpstashStoreOptions.pollIntervalMs}).
 *
 * @module
 */
import type { CompareAndSetOptions, TokenStore, VersionedValue } from '../../src/contracts.js'
import {
  COMPARE_AND_SET_SCRIPT,
  channelOf,
  DEFAULT_PREFIX,
  DEFAULT_TTL_MS,
  DELETE_SCRIPT,
  dataKeyOf,
  epochMsOfTime,
  parseRecord,
  scriptSha,
  TIME_SCRIPT,
  ttlArgument,
  VERSIONS_SCRIPT,
} from './redis-protocol.js'

/**
 * The methods of an `@upstash/redis` `Redis` client the store calls: pass your client as it
 * is. Any client with these methods and the same answers fits.
 * @group Stores
 */
export interface UpstashRedisClient {
  /** `GET key`: the string, or `null`. */
  get(key: string): Promise<unknown>
  /** `EVAL script numkeys ...keys ...args`. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>
  /** `EVALSHA sha numkeys ...keys ...args`. */
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>
}

/**
 * Options of {@link createUpstashStore}.
 * @group Stores
 */
export interface UpstashStoreOptions {
  /**
   * Prefix of every key and channel: isolates applications sharing one database. The same
   * prefix as a Redis store's shares its sessions.
   * @default 'bolt-tokens:'
   */
  prefix?: string
  /**
   * Time to live of a record written without one (the token manager always names one: its
   * `sessionTtlMs`), in milliseconds.
   * @default 30 days
   */
  ttlMs?: number
  /**
   * How often a subscribed key is polled, in milliseconds, from 10 to 10 000: how late at
   * most (plus one request) a waiter hears of a change another instance made.
   *
   * Polling runs only while someone is subscribed, one request per interval for all
   * subscribed keys of this store (only their versions travel), one at a time. The token
   * manager subscribes only while a call waits for another instance's lease, and
   * unsubscribes when that call ends: at the latest at its deadline, 2 × `leaseMs`. The
   * manager never relies on the poll to see a lease end: it wakes itself at the lease's end
   * (and re-reads every `pollIntervalMs` of its own), so a slow or failed poll only delays a
   * wake-up within the lease, never past it.
   * @default 100
   */
  pollIntervalMs?: number
}

/**
 * The Upstash store: a {@link TokenStore} plus `close()`, which stops its polling.
 * @group Stores
 */
export interface UpstashStore extends TokenStore {
  /** Stops polling; pending subscribers hear nothing more. Your client needs no closing. */
  close(): Promise<void>
}

const MIN_POLL_MS = 10
const MAX_POLL_MS = 10_000

/** A subscribed key: its listeners and the version its last read saw (`0`: absent). */
interface Watched {
  listeners: Set<() => void>
  version: string
  /** Whether `version` was read: only then is the key polled. */
  active: boolean
  ready: Promise<void>
}

/**
 * Creates a {@link TokenStore} on your `@upstash/redis` client (`new Redis({ url, token })`,
 * `Redis.fromEnv()`, or Vercel KV's `kv`).
 *
 * The client's defaults fit, and so does `automaticDeserialization: false` or
 * `responseEncoding: false`: its automatic JSON deserialization never touches a record (a
 * stored `12:{"…"}` is not JSON, so it comes back as the string it is), and it decodes its
 * own base64 responses. Give it a `signal` (e.g. `() => AbortSignal.timeout(2_000)`) and few
 * retries (`retry: { retries: 1 }`) so that an unreachable database fails fast
 * (`STORE_UNAVAILABLE`): its default retries back off for seconds.
 *
 * @example
 * ```ts
 * import { Redis } from '@upstash/redis'
 * import { createUpstashStore } from 'bolt-token-lifecycle/upstash'
 *
 * const redis = new Redis({
 *   url: process.env.UPSTASH_REDIS_REST_URL!,
 *   token: process.env.UPSTASH_REDIS_REST_TOKEN!,
 *   retry: { retries: 1, backoff: () => 100 },
 *   signal: () => AbortSignal.timeout(2_000),
 * })
 * const tokens = createTokenManager({ clientId, clientSecret, store: createUpstashStore(redis) })
 * ```
 * @group Stores
 */
export function createUpstashStore(
  redis: UpstashRedisClient,
  options: UpstashStoreOptions = {},
): UpstashStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX
  const defaultTtlMs = options.ttlMs ?? DEFAULT_TTL_MS
  const pollIntervalMs = options.pollIntervalMs ?? 100
  if (!(pollIntervalMs >= MIN_POLL_MS && pollIntervalMs <= MAX_POLL_MS)) {
    throw new RangeError(
      `pollIntervalMs (${pollIntervalMs}) must be from ${MIN_POLL_MS} to ${MAX_POLL_MS} ms`,
    )
  }
  const dataKey = (key: string) => dataKeyOf(prefix, key)

  async function run(script: string, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalsha(await scriptSha(script), keys, args)
    } catch (error) {
      if (!hasCode(error, 'NOSCRIPT')) throw scrubbed(error, 'EVALSHA')
    }
    return redis.eval(script, keys, args).catch((error: unknown) => {
      throw scrubbed(error, 'EVAL')
    })
  }

  async function versionsOf(keys: string[]): Promise<string[]> {
    const answer = await run(VERSIONS_SCRIPT, keys.map(dataKey), [])
    if (!Array.isArray(answer) || answer.length !== keys.length)
      throw new TypeError('the versions script answered an unexpected shape')
    // The client's JSON deserialization turns '123' into 123: compare as strings.
    return answer.map(String)
  }

  const watched = new Map<string, Watched>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let polling = false
  let closed = false

  function schedule(): void {
    if (closed || timer !== undefined || polling || watched.size === 0) return
    timer = setTimeout(poll, pollIntervalMs)
  }

  async function poll(): Promise<void> {
    timer = undefined
    const keys = [...watched].flatMap(([key, entry]) => (entry.active ? [key] : []))
    if (keys.length === 0) return
    polling = true
    try {
      const versions = await versionsOf(keys)
      for (const [index, key] of keys.entries()) {
        const entry = watched.get(key)
        const version = versions[index] as string
        if (entry === undefined || entry.version === version) continue
        entry.version = version
        notify(entry)
      }
    } catch {
      // The next poll tries again; the manager re-reads on its own timer meanwhile.
    } finally {
      polling = false
      schedule()
    }
  }

  return {
    // Not async: the valid-token path, where every extra promise hop costs throughput.
    get(key): Promise<VersionedValue | undefined> {
      return redis.get(dataKey(key)).then(toRecord, absentIfWrongType)
    },

    async time() {
      return epochMsOfTime(await run(TIME_SCRIPT, [], []))
    },

    async compareAndSet(
      key,
      value,
      { expectedVersion, ttlMs = defaultTtlMs }: CompareAndSetOptions,
    ) {
      const result = await run(
        COMPARE_AND_SET_SCRIPT,
        [dataKey(key), channelOf(prefix, key)],
        // PUBLISH: a Redis store on the same database (Redis < 7) hears of the write.
        [String(expectedVersion), value, String(ttlArgument(ttlMs)), '0'],
      )
      if (result === null) return undefined
      const version = Number(result)
      // A client given a plain (non-function) `signal` answers an aborted request with a
      // made-up result: never take it for a version.
      if (!Number.isSafeInteger(version) || version < 1)
        throw new TypeError('the Upstash client answered the compare-and-set with no version')
      return version
    },

    async delete(key) {
      await run(DELETE_SCRIPT, [dataKey(key), channelOf(prefix, key)], ['0'])
    },

    async subscribe(key, listener) {
      if (closed) throw new Error('the Upstash store is closed')
      let entry = watched.get(key)
      if (entry === undefined) {
        // Active once the version it starts from is known: a later change differs from it.
        const created: Watched = {
          listeners: new Set(),
          version: '0',
          active: false,
          ready: Promise.resolve(),
        }
        created.ready = versionsOf([key]).then(([version]) => {
          created.version = version as string
          created.active = true
          schedule()
        })
        created.ready.catch(() => {
          if (watched.get(key) === created) watched.delete(key)
        })
        watched.set(key, created)
        entry = created
      }
      entry.listeners.add(listener)
      const subscribed = entry
      try {
        await subscribed.ready
      } catch (error) {
        subscribed.listeners.delete(listener)
        throw error
      }
      return () => {
        subscribed.listeners.delete(listener)
        if (subscribed.listeners.size === 0 && watched.get(key) === subscribed) watched.delete(key)
      }
    },

    async close() {
      closed = true
      clearTimeout(timer)
      timer = undefined
      watched.clear()
    },
  }
}

function notify(entry: Watched): void {
  for (const listener of [...entry.listeners]) {
    try {
      listener()
    } catch {
      // a listener's failure must not stop the others
    }
  }
}

function toRecord(raw: unknown): VersionedValue | undefined {
  // A record ('<version>:…') is never valid JSON, so the client's automatic deserialization
  // hands it back as the string it is. Anything it decoded was not a record: a foreign value,
  // which reads as absent (the script agrees).
  return typeof raw === 'string' ? parseRecord(raw) : undefined
}

/** A key of another type: a foreign or corrupt record, which reads as absent (the script agrees). */
function absentIfWrongType(error: unknown): undefined {
  if (hasCode(error, 'WRONGTYPE')) return undefined
  throw scrubbed(error, 'GET')
}

/** Whether a Redis error code starts the server's message, or follows a client's own prefix. */
function hasCode(error: unknown, code: string): boolean {
  return new RegExp(`(?:^|: )${code}\\b`).test(serverMessage(error))
}

/**
 * The server's own words: `@upstash/redis` appends the whole command to the message of a
 * failed request (`…, command was: [...]`), for a write the session record, tokens and all.
 */
function serverMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : 'a non-error was thrown'
  const quoted = message.indexOf(', command was: ')
  return quoted >= 0 ? message.slice(0, quoted) : message
}

/**
 * A client error as a new error with the server's own words only: neither the command the
 * client quotes (see {@link serverMessage}) nor a response body it could not parse may
 * travel on as a `cause`.
 */
function scrubbed(error: unknown, command: string): Error {
  const name = error instanceof Error ? error.name : 'Error'
  const message =
    name === 'UpstashJSONParseError' ? 'the response body is not JSON' : serverMessage(error)
  const clean = new Error(`Upstash ${command} failed: ${message}`)
  clean.name = name
  return clean
}
