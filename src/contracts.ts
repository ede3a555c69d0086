/**
 * The two adapter contracts: where session records live ({@link TokenStore}) and how a
 * token request reaches Bolt ({@link HttpTransport}). Adapters implement these and know
 * nothing else of the library.
 *
 * @module
 */

/**
 * A value, or a promise of it: what a store answers with when it may answer synchronously
 * (in this process) or not (across the network). Test with `isPromiseLike`.
 * @group Stores
 */
export type MaybePromise<T> = T | PromiseLike<T>

/** Whether a {@link MaybePromise} is the promise. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}

/**
 * A stored value with the version that a compare-and-set must name to replace it.
 * @group Stores
 */
export interface VersionedValue {
  /** The opaque serialized session record. */
  value: string
  /** Positive integer, increased by every successful write of the key. */
  version: number
}

/**
 * Options of {@link TokenStore.compareAndSet}.
 * @group Stores
 */
export interface CompareAndSetOptions {
  /**
   * The version the caller read. `0` means "the key must not exist". The write happens
   * only if the key is at exactly this version; this is the fence that keeps a slow
   * writer from overwriting a newer record.
   */
  expectedVersion: number
  /**
   * Time to live of the written record, in milliseconds from now. A value `<= 0` writes a
   * record that is already expired (it reads as absent). Without it, the store's default
   * applies.
   */
  ttlMs?: number
}

/**
 * Where session records live. One small contract for every backend (memory, Redis, …).
 *
 * Keys are opaque: the token manager names each session by an HMAC of its id (43 characters
 * of `A-Z a-z 0-9 - _`), never by the id itself, so a store may use a key in any name (a
 * Redis hash tag, a channel, a table row) without leaking or escaping anything.
 *
 * Semantics every implementation keeps:
 * - versions of a key only grow while the key exists; a write bumps it by one;
 * - `compareAndSet` is atomic: of concurrent calls naming the same version, exactly one wins;
 * - an expired key reads as absent (`undefined`) and counts as absent for `compareAndSet`;
 * - every successful write or delete notifies the key's subscribers (possibly in other
 *   processes); a notification is a hint to re-read, never the data itself.
 *
 * A store may set a string `storeLocation` on the errors it throws, saying where it is
 * (`Redis at 127.0.0.1:6379`), without any credential: the manager's `STORE_UNAVAILABLE`
 * message names it. The error itself stays on `cause`; its message is never copied.
 * @group Stores
 */
export interface TokenStore {
  /**
   * Reads a key: its value and version, or `undefined` when absent or expired. A store that
   * holds its data in this process (the memory store) answers synchronously, so the
   * valid-token path costs no promise hop; a store across the network answers with a
   * promise (the Redis store: one `GET`). The returned object may be shared between reads:
   * callers must not change it.
   *
   * `now` is a reading of the store's own {@link TokenStore.clock}, passed by a caller that
   * already has one (the token manager does when it shares the store's clock), so that one
   * clock reading serves the store's TTL and the token's expiry. Stores without a `clock`
   * ignore it.
   */
  get(key: string, now?: number): MaybePromise<VersionedValue | undefined>
  /**
   * Optional: the clock (epoch milliseconds) the store measures TTLs with, for stores that
   * measure them in this process; `get` may be given its reading.
   */
  readonly clock?: () => number
  /**
   * Optional: reads the store's own clock (epoch milliseconds), for stores across the network
   * (Redis `TIME`, PostgreSQL `clock_timestamp()`). Leases are set and compared on the store's
   * time, sampled now and then, so instances whose clocks disagree by any amount still agree
   * on when a lease ends. A store with neither `clock` nor `time` leaves leases on each
   * instance's clock, which must then agree within `leaseMs`.
   */
  time?(): Promise<number>
  /**
   * Writes `value` if the key is at `expectedVersion`.
   *
   * @returns the new version, or `undefined` when the version did not match (nothing written).
   */
  compareAndSet(
    key: string,
    value: string,
    options: CompareAndSetOptions,
  ): Promise<number | undefined>
  /** Removes a key (no-op when absent). */
  delete(key: string): Promise<void>
  /**
   * Calls `listener` after each change of `key`. The returned promise resolves once the
   * subscription is active (a change after that is never missed); call the returned
   * function to unsubscribe.
   */
  subscribe(key: string, listener: () => void): Promise<() => void>
}

/**
 * One HTTP request, as the core builds it.
 * @group Transports
 */
export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  /** Header names in lower case. */
  headers: Record<string, string>
  body?: string
  /** Aborted when the request's deadline passes; transports must pass it on. */
  signal: AbortSignal
  /**
   * The largest body to read, in bytes. A transport stops reading past it and rejects with
   * an error named `ResponseTooLargeError`.
   */
  maxBodyBytes?: number
}

/**
 * One HTTP answer, body read in full as text.
 * @group Transports
 */
export interface HttpResponse {
  status: number
  /** Header names in lower case. */
  headers: Record<string, string>
  body: string
}

/**
 * Sends one request and returns the answer, whatever its status. It does not retry and
 * does not throw on 4xx/5xx: the retry policy lives in the core, which knows that a
 * refresh is not idempotent. It rejects only when no complete answer arrived (network
 * failure, or `signal` aborted).
 * @group Transports
 */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>
}
