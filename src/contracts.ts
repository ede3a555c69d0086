/**
 * The two adapter contracts: where session records live ({@link TokenStore}) and how a
 * token request reaches Bolt ({@link HttpTransport}). Adapters implement these and know
 * nothing else of the library.
 *
 * @module
 */

/** A stored value with the version that a compare-and-set must name to replace it. */
export interface VersionedValue {
  /** The opaque serialized session record. */
  value: string
  /** Positive integer, increased by every successful write of the key. */
  version: number
}

/** Options of {@link TokenStore.compareAndSet}. */
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
 */
export interface TokenStore {
  /** Reads a key. `undefined` when absent or expired. */
  get(key: string): Promise<VersionedValue | undefined>
  /**
   * Optional: reads a key synchronously, for stores that hold their data in this process
   * (the memory store). Same answer as `get`; saves the valid-token path a promise hop.
   * `now` is a reading of the store's own {@link TokenStore.clock}, when the caller already
   * has one (the manager passes it when it shares the store's clock). The returned object
   * may be shared between reads: callers must not change it.
   */
  getNow?(key: string, now?: number): VersionedValue | undefined
  /**
   * Optional: `get(key).then(onValue, onError)` in one step, one promise instead of two, for
   * the valid-token path of stores across the network (the Redis store).
   */
  getThen?<T>(
    key: string,
    onValue: (value: VersionedValue | undefined) => T | PromiseLike<T>,
    onError: (error: unknown) => T | PromiseLike<T>,
  ): Promise<T>
  /** Optional: the clock the store measures TTLs with; `getNow` may be given its reading. */
  readonly clock?: () => number
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

/** One HTTP request, as the core builds it. */
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

/** One HTTP answer, body read in full as text. */
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
 */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>
}
