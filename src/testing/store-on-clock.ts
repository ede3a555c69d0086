/**
 * A store whose clock is a simulated one, for tests whose world runs on the emulator's clock.
 *
 * @module
 */
import type { TokenStore } from '../contracts.js'

/**
 * `store`, with `clock` as the clock its leases are set and compared on. A token manager sets
 * and compares leases on its store's clock (Redis `TIME`, PostgreSQL's, …), which real time
 * moves. In a test that jumps the emulator's clock to let a lease end (a crashed holder taken
 * over), give the store that clock: the lease then ends when the test says. The store's own
 * expiry of records is untouched (it keeps its real clock).
 *
 * @example
 * ```ts
 * const store = storeOnClock(createRedisStore(redis), bolt.now)
 * ```
 * @group Testing
 */
export function storeOnClock(store: TokenStore, clock: () => number): TokenStore {
  return {
    clock,
    // Not `now`: that is a reading of `clock`, not of the store's own expiry clock.
    get: (key) => store.get(key),
    compareAndSet: (key, value, options) => store.compareAndSet(key, value, options),
    delete: (key) => store.delete(key),
    subscribe: (key, listener) => store.subscribe(key, listener),
  }
}
