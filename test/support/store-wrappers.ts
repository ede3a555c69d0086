/**
 * Stores that misbehave on purpose, wrapped around a real one: slow answers (a store over
 * HTTP, a remote database) and writes that land but report failure (a client timeout that
 * fires after the server ran the command).
 */
import type { CompareAndSetOptions, TokenStore, VersionedValue } from '../../src/contracts.js'

/** The store's clock, to keep: leases are set and compared on it. */
function clockOf(inner: TokenStore): Pick<TokenStore, 'clock' | 'time'> {
  return {
    ...(inner.clock === undefined ? {} : { clock: inner.clock }),
    ...(inner.time === undefined ? {} : { time: () => inner.time?.() ?? Promise.resolve(0) }),
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every read and write reaches `inner` after `oneWayMs`, and its answer comes back after as long. */
export function slowStore(inner: TokenStore, oneWayMs: number): TokenStore {
  const roundTrip = async <T>(operation: () => T | Promise<T>): Promise<T> => {
    await sleep(oneWayMs)
    const answer = await operation()
    await sleep(oneWayMs)
    return answer
  }
  return {
    ...clockOf(inner),
    ...(inner.time === undefined ? {} : { time: () => roundTrip(() => inner.time?.() ?? 0) }),
    get: (key: string): Promise<VersionedValue | undefined> =>
      roundTrip(() => Promise.resolve(inner.get(key))),
    compareAndSet: (key: string, value: string, options: CompareAndSetOptions) =>
      roundTrip(() => inner.compareAndSet(key, value, options)),
    delete: (key: string) => roundTrip(() => inner.delete(key)),
    subscribe: (key: string, listener: () => void) => inner.subscribe(key, listener),
  }
}

/** A store whose next write(s) picked by {@link AmbiguousStore.failNextWrite} land, then reject. */
export interface AmbiguousStore extends TokenStore {
  /** The next `count` compare-and-sets are applied, then reported as a store failure. */
  failNextWrite(count?: number): void
  /** How many writes landed but were reported failed. */
  readonly landedButFailed: number
}

/** Wraps `inner` so that chosen writes land and then fail, as a timed-out client reports them. */
export function ambiguousStore(inner: TokenStore): AmbiguousStore {
  let pending = 0
  let landedButFailed = 0
  return {
    ...clockOf(inner),
    get: (key, now) => inner.get(key, now),
    async compareAndSet(key, value, options) {
      const version = await inner.compareAndSet(key, value, options)
      if (pending > 0) {
        pending--
        landedButFailed++
        throw new Error('Command timed out')
      }
      return version
    },
    delete: (key) => inner.delete(key),
    subscribe: (key, listener) => inner.subscribe(key, listener),
    failNextWrite(count = 1) {
      pending += count
    },
    get landedButFailed() {
      return landedButFailed
    },
  }
}

/** A store whose next operations picked by `failNext` fail without touching anything. */
export interface FlakyStore extends TokenStore {
  /** The next `count` reads and writes fail (a dropped connection), changing nothing. */
  failNext(count: number): void
}

/** Wraps `inner` so that chosen operations fail before they reach it. */
export function flakyStore(inner: TokenStore): FlakyStore {
  let failing = 0
  const fail = () => {
    if (failing === 0) return false
    failing--
    return true
  }
  return {
    ...clockOf(inner),
    get(key, now) {
      if (fail()) return Promise.reject(new Error('Connection is closed.'))
      return inner.get(key, now)
    },
    async compareAndSet(key, value, options) {
      if (fail()) throw new Error('Connection is closed.')
      return inner.compareAndSet(key, value, options)
    },
    delete: (key) => inner.delete(key),
    subscribe: (key, listener) => inner.subscribe(key, listener),
    failNext(count) {
      failing = count
    },
  }
}

/** A store whose chosen writes are acknowledged by a primary that then fails over without them. */
export interface FailoverStore extends TokenStore {
  /**
   * The next compare-and-set that would write is "acknowledged by the primary but not by its
   * replica": with `confirmed: false` it throws as the Redis store with `replicas` does when
   * `WAIT` falls short; with `confirmed: true` it answers success, as a store without
   * `replicas` does. Either way the promoted replica never got it: the write is dropped.
   */
  loseNextWrite(confirmed: boolean): void
  /** How many writes were lost so. */
  readonly lost: number
}

/**
 * Wraps `inner` (the replica that will be promoted) so that chosen writes vanish in a failover
 * right after the primary acknowledged them: afterwards every reader sees the record as it was
 * before the write, at its old version.
 */
export function failoverStore(inner: TokenStore): FailoverStore {
  let armed: boolean | undefined
  let lost = 0
  return {
    ...clockOf(inner),
    get: (key, now) => inner.get(key, now),
    async compareAndSet(key, value, options) {
      const confirmed = armed
      if (confirmed === undefined) return inner.compareAndSet(key, value, options)
      // Fenced writes write nothing: only a write that would land is lost.
      const current = await inner.get(key)
      if ((current?.version ?? 0) !== options.expectedVersion) {
        return inner.compareAndSet(key, value, options)
      }
      armed = undefined
      lost++
      if (!confirmed) {
        throw new Error(
          'Redis accepted the write but did not confirm its replication: 0 of 1 replica(s) acknowledged it within 500 ms. A failover now may lose it.',
        )
      }
      // The version the primary answered; the replica never had it.
      return options.expectedVersion + 1
    },
    delete: (key) => inner.delete(key),
    subscribe: (key, listener) => inner.subscribe(key, listener),
    loseNextWrite(confirmed) {
      armed = confirmed
    },
    get lost() {
      return lost
    },
  }
}
