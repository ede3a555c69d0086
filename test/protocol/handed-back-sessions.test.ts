/**
 * Two liveness gaps the race model found (issue 14, seed 134290652), each reproduced before
 * its fix. Both left a lease behind that only time would end:
 * - a failed step-up hands the session back to the refresh it interrupted; when that refresh
 *   is this instance's and its save had failed, nobody saved its tokens (and after the lease,
 *   another instance would present the spent refresh token);
 * - a login whose outcome write kept losing to other writers (each leaving the session still
 *   awaiting it) gave up after five attempts.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { TokenStore } from '../../src/contracts.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { accountStatus, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { flakyStore } from '../support/store-wrappers.js'

const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

/**
 * A store on which, for the next `count` compare-and-sets, another writer rewrites the record
 * as it is just before ours arrives: ours is fenced, and the session still awaits us.
 */
function contendedStore(inner: TokenStore) {
  let touches = 0
  let touched = 0
  const store: TokenStore & { contend(count: number): void; readonly touched: number } = {
    ...(inner.clock === undefined ? {} : { clock: inner.clock }),
    get: (key, now) => inner.get(key, now),
    async compareAndSet(key, value, options) {
      if (touches > 0) {
        touches--
        const current = await inner.get(key)
        if (current !== undefined) {
          await inner.compareAndSet(key, current.value, { expectedVersion: current.version })
          touched++
        }
      }
      return inner.compareAndSet(key, value, options)
    },
    delete: (key) => inner.delete(key),
    subscribe: (key, listener) => inner.subscribe(key, listener),
    contend(count) {
      touches = count
    },
    get touched() {
      return touched
    },
  }
  return store
}

describe('a session handed back to a refresh or login that is still owed its outcome', () => {
  it("a failed step-up hands the session back to this instance's refresh whose save failed: the refreshed tokens are saved at once", async () => {
    const bolt = await startEmulator()
    const shared = createMemoryStore({ clock: bolt.now })
    const store = flakyStore(shared)
    const gate = createGatedTransport(createFetchTransport())
    const tokens = managerFor(bolt, gate, { store, retry: false })
    const other = managerFor(bolt, createFetchTransport(), { store: shared })
    const login = tokens.exchangeCode('shopper', { code: bolt.login().code })
    ;(await gate.nextRequest()).release()
    await login
    bolt.advanceClock(PAST_EXPIRY_MS)
    // A refresh is in flight when a step-up starts on the same instance and takes the lease.
    const refreshing = tokens.getAccessToken('shopper')
    const refresh = await gate.nextRequest()
    const stepUp = settle(tokens.exchangeCode('shopper', { code: 'a-code-bolt-never-issued' }))
    const exchange = await gate.nextRequest()
    expect((await other.getStatus('shopper')).state).toBe('codeExchange')
    // Bolt rotates, but the refresh's save fails: the caller gets the new token anyway.
    store.failNext(1)
    refresh.release()
    const refreshed = await refreshing
    // Bolt refuses the step-up's code: the session goes back to the interrupted refresh.
    exchange.release()
    expect(await stepUp).toBe('INVALID_GRANT')
    // Without another call on this instance, the refresh's tokens are in the store.
    expect(await other.getStatus('shopper')).toMatchObject({ state: 'viewOnly' })
    expect(await other.getAccessToken('shopper')).toBe(refreshed)
    expect(await accountStatus(bolt, refreshed, 'read')).toBe(200)
    expect(bolt.stats).toMatchObject({ refreshes: 1, invalidGrants: 1, reuseDetected: 0 })
    gate.close()
  })

  it('a login whose outcome write loses six times to writers that leave the session awaiting it still records it', async () => {
    const bolt = await startEmulator()
    const store = contendedStore(createMemoryStore({ clock: bolt.now }))
    const gate = createGatedTransport(createFetchTransport())
    const tokens = managerFor(bolt, gate, { store, retry: false })
    const login = settle(tokens.exchangeCode('shopper', { code: bolt.login().code }))
    const exchange = await gate.nextRequest()
    store.contend(6)
    exchange.release()
    expect(await login).toBe('ok')
    expect(store.touched).toBe(6)
    expect(await tokens.getStatus('shopper')).toMatchObject({ state: 'fullyScoped' })
    const token = await tokens.getAccessToken('shopper', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    gate.close()
  })
})
