// Scheduled I/O for the race tests. The wrappers below put fast-check's scheduler between the
// token managers and the real store / the real emulator: every store call and every token
// request is a scheduled task twice, once when it leaves the caller (the scheduler decides
// when it reaches the store or Bolt) and once when its answer comes back (the scheduler
// decides when the caller sees it). The store and the emulator do the real work; the
// scheduler only decides the order.
import type { Scheduler } from 'fast-check'
import type {
  CompareAndSetOptions,
  HttpRequest,
  HttpResponse,
  HttpTransport,
  TokenStore,
  VersionedValue,
} from '../../src/contracts.js'

const inflight = new Set<Promise<unknown>>()

/** Registers real I/O (an HTTP round trip, a Redis command) that the scheduler waits for. */
export function realIo<T>(promise: Promise<T>): Promise<T> {
  inflight.add(promise)
  const done = () => {
    inflight.delete(promise)
  }
  promise.then(done, done)
  return promise
}

/**
 * The scheduler's `act`: after each released task, wait until the real I/O it started has
 * answered (and its answer is scheduled). Every choice the scheduler makes is then among
 * the same tasks on a replay, so a seed reproduces its interleaving (Redis pub/sub
 * notifications are the one source of timing left).
 */
export async function actUntilIoSettles(f: () => Promise<void>): Promise<void> {
  await f()
  for (;;) {
    // setImmediate runs after every pending microtask: the continuations have started their I/O.
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (inflight.size === 0) return
    await Promise.allSettled([...inflight])
  }
}

async function scheduledCall<T>(
  s: Scheduler,
  request: string,
  run: () => Promise<{ value: T; answer: string }>,
): Promise<T> {
  await s.schedule(Promise.resolve(), `${request} →`)
  let outcome: { value: T; answer: string }
  try {
    outcome = await realIo(run())
  } catch (error) {
    const why = error instanceof Error ? `: ${error.message}` : ''
    await s.schedule(Promise.resolve(), `${request} ← failed${why}`)
    throw error
  }
  await s.schedule(Promise.resolve(), `${request} ← ${outcome.answer}`)
  return outcome.value
}

/**
 * What a write is about to store, already decoded (records may be encrypted); the returned
 * function is told whether it was written.
 */
export type WriteObserver<R> = (record: R) => (written: boolean) => void

/**
 * A store failure injected into one write (issue 14): `landThenFail` applies the write and
 * then rejects (a client timeout that fires after the server ran the script);
 * `failUnlanded` rejects without touching the store (a dropped connection).
 */
export type StoreFault = 'landThenFail' | 'failUnlanded'

/** How the race world sees, judges and disturbs one manager's store calls. */
export interface StoreHooks<R> {
  /** Decodes a stored value (decrypting it if needed) for the labels and the checks. */
  inspect(value: string): Promise<R>
  /** What the labels say about a decoded record (e.g. `viewOnly L2r1`). */
  describe(record: R): string
  observeWrite: WriteObserver<R>
  /** The failure to inject into this write, if one is armed and this write may take it. */
  faultFor(record: R): StoreFault | undefined
  /** Told when that failure happened (`landThenFail` only happens to a write that landed). */
  injected(record: R, fault: StoreFault): void
  /** Told after a write landed, before its answer heads back (slow answers: see `stall`). */
  landed(record: R): void
}

const landedButFailed = () => new Error('Command timed out (the write landed)')
const notWritten = () => new Error('Connection is closed. (nothing was written)')

/** A store whose every `get` and `compareAndSet` goes through the scheduler. */
export function scheduledStore<R>(
  inner: TokenStore,
  s: Scheduler,
  who: string,
  hooks: StoreHooks<R>,
): TokenStore {
  const named = async (stored: VersionedValue | undefined) =>
    stored === undefined
      ? 'absent'
      : `v${stored.version} ${hooks.describe(await hooks.inspect(stored.value))}`
  return {
    get: (key) =>
      scheduledCall(s, `${who} get`, async () => {
        const value = await inner.get(key)
        return { value, answer: await named(value) }
      }),
    compareAndSet: async (key: string, value: string, options: CompareAndSetOptions) => {
      const record = await realIo(hooks.inspect(value))
      return scheduledCall(
        s,
        `${who} cas@v${options.expectedVersion} ${hooks.describe(record)}`,
        async () => {
          const fault = hooks.faultFor(record)
          const finished = hooks.observeWrite(record)
          if (fault === 'failUnlanded') {
            hooks.injected(record, fault)
            finished(false)
            throw notWritten()
          }
          let version: number | undefined
          try {
            version = await inner.compareAndSet(key, value, options)
          } catch (error) {
            finished(false)
            throw error
          }
          finished(version !== undefined)
          if (version !== undefined) hooks.landed(record)
          // A fenced write reported as failed would be one that did not land: not this fault.
          if (fault === 'landThenFail' && version !== undefined) {
            hooks.injected(record, fault)
            throw landedButFailed()
          }
          return { value: version, answer: version === undefined ? 'fenced' : `ok v${version}` }
        },
      )
    },
    delete: (key) => realIo(inner.delete(key)),
    subscribe: (key, listener) => realIo(inner.subscribe(key, listener)),
  }
}

/**
 * A transport whose every request and answer goes through the scheduler. After a 5xx answer
 * the scheduler waits a few real milliseconds: the library retries a refresh after a backoff
 * (zero here, see world.ts), and its retry must be scheduled before the scheduler chooses
 * again, or a replay could choose among other tasks.
 */
export function scheduledTransport(
  inner: HttpTransport,
  s: Scheduler,
  who: string,
  describeRequest: (request: HttpRequest) => string,
  describeResponse: (response: HttpResponse) => string,
): HttpTransport {
  return {
    send: async (request) => {
      const response = await scheduledCall(
        s,
        `${who} POST ${describeRequest(request)}`,
        async () => {
          const value = await inner.send(request)
          return { value, answer: describeResponse(value) }
        },
      )
      if (response.status >= 500) {
        void realIo(new Promise((resolve) => setTimeout(resolve, RETRY_SETTLE_MS)))
      }
      return response
    },
  }
}

/** Longer than the library's zero backoff (a `setTimeout(0)`) takes to fire. */
const RETRY_SETTLE_MS = 5

/**
 * Makes WebCrypto's work (the managers' record encryption) real I/O the scheduler waits for,
 * as it waits for the store: `subtle.encrypt` resolves on another thread, and a scheduler
 * that chose before it did would choose among other tasks on a replay. Returns the undo.
 */
export function trackWebCrypto(): () => void {
  const subtle = globalThis.crypto.subtle
  const names = ['encrypt', 'decrypt', 'importKey'] as const
  const originals = names.map((name) => [name, subtle[name]] as const)
  for (const [name, original] of originals) {
    Object.defineProperty(subtle, name, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) =>
        realIo((original as (...a: unknown[]) => Promise<unknown>).apply(subtle, args)),
    })
  }
  return () => {
    for (const [name] of originals) delete (subtle as unknown as Record<string, unknown>)[name]
  }
}
