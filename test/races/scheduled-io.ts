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
  run: () => Promise<T>,
  answer: (value: T) => string,
): Promise<T> {
  await s.schedule(Promise.resolve(), `${request} →`)
  let value: T
  try {
    value = await realIo(run())
  } catch (error) {
    await s.schedule(Promise.resolve(), `${request} ← failed`)
    throw error
  }
  await s.schedule(Promise.resolve(), `${request} ← ${answer(value)}`)
  return value
}

/** What a write is about to store; the returned function is told whether it was written. */
export type WriteObserver = (value: string) => (written: boolean) => void

/** What the labels say about a stored record (e.g. `viewOnly L2r1`). */
export type RecordNamer = (value: string) => string

/** A store whose every `get` and `compareAndSet` goes through the scheduler. */
export function scheduledStore(
  inner: TokenStore,
  s: Scheduler,
  who: string,
  describe: RecordNamer,
  observeWrite: WriteObserver,
): TokenStore {
  const named = (stored: VersionedValue | undefined) =>
    stored === undefined ? 'absent' : `v${stored.version} ${describe(stored.value)}`
  return {
    get: (key) => scheduledCall(s, `${who} get`, async () => inner.get(key), named),
    compareAndSet: (key: string, value: string, options: CompareAndSetOptions) =>
      scheduledCall(
        s,
        `${who} cas@v${options.expectedVersion} ${describe(value)}`,
        async () => {
          const finished = observeWrite(value)
          let version: number | undefined
          try {
            version = await inner.compareAndSet(key, value, options)
          } catch (error) {
            finished(false)
            throw error
          }
          finished(version !== undefined)
          return version
        },
        (version) => (version === undefined ? 'fenced' : `ok v${version}`),
      ),
    delete: (key) => realIo(inner.delete(key)),
    subscribe: (key, listener) => realIo(inner.subscribe(key, listener)),
  }
}

/** A transport whose every request and answer goes through the scheduler. */
export function scheduledTransport(
  inner: HttpTransport,
  s: Scheduler,
  who: string,
  describeRequest: (request: HttpRequest) => string,
  describeResponse: (response: HttpResponse) => string,
): HttpTransport {
  return {
    send: (request) =>
      scheduledCall(
        s,
        `${who} POST ${describeRequest(request)}`,
        () => inner.send(request),
        describeResponse,
      ),
  }
}
