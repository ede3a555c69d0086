/**
 * The Cloudflare Durable Objects session store, for Workers (and anything else on workerd,
 * such as Shopify Oxygen): every isolate of every Worker bound to the namespace shares each
 * session through one Durable Object, so they refresh it exactly once per rotation.
 *
 * One object per session key (`idFromName(prefix + key)`), of the class
 * {@link BoltSessionObject} that your Worker exports. Each method of the store is one RPC to
 * that object: a read is one round trip, and a compare-and-set runs inside the object, which
 * handles one event at a time. Waiters wake through a stream the object holds open until it is
 * cancelled or a deadline passes.
 *
 * Import it in a Worker only: it extends workerd's `DurableObject` from `cloudflare:workers`.
 *
 * @module
 */
import type { CompareAndSetOptions, TokenStore } from '../../src/contracts.js'
import type { SessionObjectRecord } from './cloudflare-object.js'

export {
  BoltSessionObject,
  type SessionObjectRecord,
  type SessionObjectState,
  type SessionObjectStorage,
} from './cloudflare-object.js'

/**
 * A stub of a {@link BoltSessionObject}: what the store calls on it, over RPC. workerd's
 * `DurableObjectStub<BoltSessionObject>` has these methods.
 * @group Stores
 */
export interface SessionObjectStub {
  read(): PromiseLike<SessionObjectRecord | undefined>
  compareAndSet(
    value: string,
    expectedVersion: number,
    ttlMs: number,
  ): PromiseLike<number | undefined>
  deleteRecord(): PromiseLike<void>
  watch(maxMs: number): PromiseLike<ReadableStream<Uint8Array>>
  time(): PromiseLike<number>
}

/**
 * The Durable Object namespace binding of {@link BoltSessionObject} (workerd's
 * `DurableObjectNamespace<BoltSessionObject>`), as the store uses it.
 * @group Stores
 */
export interface SessionObjectNamespace<Id = unknown> {
  idFromName(name: string): Id
  get(id: Id): SessionObjectStub
}

/**
 * Options of {@link createDurableObjectStore}.
 * @group Stores
 */
export interface DurableObjectStoreOptions {
  /**
   * Prefix of every object's name: isolates applications sharing one namespace.
   * @default 'bolt-tokens:'
   */
  prefix?: string
  /**
   * Time to live of a record written without one (the token manager always names one: its
   * `sessionTtlMs`), in milliseconds. Longer ones are cut to 10 years.
   * @default 30 days
   */
  ttlMs?: number
  /**
   * How long the object holds one watch stream open before ending it; a subscription then
   * opens the next one, naming the revision it saw last, so no change is lost in between.
   * @default 60 seconds
   */
  watchMs?: number
}

/**
 * The Durable Objects store: a {@link TokenStore} whose `get` answers with a promise.
 * @group Stores
 */
export interface DurableObjectStore extends TokenStore {
  /** Ends every subscription this store holds open. Your namespace needs no closing. */
  close(): Promise<void>
}

const MAX_TTL_MS = 10 * 365 * 24 * 3_600_000

/** The object `time()` asks: no session's, since session keys are 43-character HMACs. */
const CLOCK_OBJECT = 'clock'
/** Between two attempts to reopen a watch that failed. */
const REOPEN_DELAY_MS = [50, 200, 1_000] as const
const ignore = () => {}

/**
 * Creates a {@link TokenStore} on your Durable Object namespace binding of
 * {@link BoltSessionObject}. Create it once per isolate (in module scope, on the first request's
 * `env`): it holds no connection, only the binding.
 *
 * @example
 * ```ts
 * import { createTokenManager } from 'bolt-token-lifecycle'
 * import { createDurableObjectStore } from 'bolt-token-lifecycle/cloudflare'
 * export { BoltSessionObject } from 'bolt-token-lifecycle/cloudflare'
 *
 * const tokens = createTokenManager({
 *   clientId: env.BOLT_PUBLISHABLE_KEY,
 *   clientSecret: env.BOLT_API_KEY,
 *   store: createDurableObjectStore(env.BOLT_SESSIONS),
 * })
 * ```
 * @group Stores
 */
export function createDurableObjectStore<Id>(
  namespace: SessionObjectNamespace<Id>,
  options: DurableObjectStoreOptions = {},
): DurableObjectStore {
  const prefix = options.prefix ?? 'bolt-tokens:'
  const defaultTtlMs = options.ttlMs ?? 30 * 24 * 3_600_000
  const watchMs = options.watchMs ?? 60_000
  // A stub per call: a stub that saw its object fail stays broken, and stubs belong to the
  // request that made them.
  const objectOf = (key: string) => namespace.get(namespace.idFromName(`${prefix}${key}`))
  const subscriptions = new Set<() => void>()

  return {
    get(key) {
      return objectOf(key).read()
    },

    async time() {
      // Any object reads the same clock; this one holds no session (keys are HMACs).
      return objectOf(CLOCK_OBJECT).time()
    },

    async compareAndSet(
      key,
      value,
      { expectedVersion, ttlMs = defaultTtlMs }: CompareAndSetOptions,
    ) {
      const ttl = Math.min(Math.ceil(ttlMs), MAX_TTL_MS)
      return (await objectOf(key).compareAndSet(value, expectedVersion, ttl)) ?? undefined
    },

    async delete(key) {
      await objectOf(key).deleteRecord()
    },

    async subscribe(key, listener) {
      const stop = await follow(() => objectOf(key).watch(watchMs), listener)
      const unsubscribe = () => {
        subscriptions.delete(unsubscribe)
        stop()
      }
      subscriptions.add(unsubscribe)
      return unsubscribe
    },

    async close() {
      for (const unsubscribe of [...subscriptions]) unsubscribe()
    },
  }
}

/**
 * Opens a watch stream and calls `listener` for each change it reports; reopens it when it
 * ends or fails, until stopped. Resolves (with `stop`) once the first stream is open, that
 * is, once the object has registered the watcher.
 */
async function follow(
  open: () => PromiseLike<ReadableStream<Uint8Array>>,
  listener: () => void,
): Promise<() => void> {
  let stopped = false
  let reader = (await open()).getReader()
  /** The revision seen last: each stream starts with the current one. */
  let seen: string | undefined
  const onRevision = (revision: string) => {
    if (seen !== undefined && revision !== seen && !stopped) {
      try {
        listener()
      } catch {
        // a listener's failure must not end the subscription
      }
    }
    seen = revision
  }

  void (async () => {
    let failures = 0
    while (!stopped) {
      try {
        await readLines(reader, onRevision)
        failures = 0
      } catch {
        failures += 1
      }
      while (!stopped) {
        if (failures > 0) await sleep(REOPEN_DELAY_MS[Math.min(failures, 3) - 1] ?? 1_000)
        try {
          const next = (await open()).getReader()
          if (stopped) next.cancel().catch(ignore)
          reader = next
          break
        } catch {
          failures += 1
        }
      }
    }
  })()

  return () => {
    stopped = true
    reader.cancel().catch(ignore)
  }
}

/** Calls `onLine` with each line of the stream, until it ends. */
async function readLines(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder()
  let pending = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    pending += decoder.decode(value, { stream: true })
    let newline = pending.indexOf('\n')
    while (newline !== -1) {
      onLine(pending.slice(0, newline))
      pending = pending.slice(newline + 1)
      newline = pending.indexOf('\n')
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
