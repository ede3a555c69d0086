/**
 * Issue 14's three suspected gaps, each reproduced before its fix:
 * - a lock write that lands but reports "fenced" must not leave the instance waiting on its
 *   own lease;
 * - a step-up on an instance that holds unsaved refreshed tokens must save them, not drop them;
 * - (see bad-answers.test.ts for the malformed refresh answer).
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { TokenStore } from '../../src/contracts.js'
import { faults } from '../../src/emulator/index.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import {
  accountStatus,
  logIn,
  managerFor,
  PAST_EXPIRY_MS,
  startEmulator,
} from '../support/harness.js'
import { flakyStore } from '../support/store-wrappers.js'

/** A store whose next compare-and-set lands, then answers "fenced" (a retried script). */
function landsButReportsFenced(inner: TokenStore) {
  let armed = false
  const store: TokenStore & { arm(): void } = {
    ...(inner.clock === undefined ? {} : { clock: inner.clock }),
    get: (key, now) => inner.get(key, now),
    async compareAndSet(key, value, options) {
      const version = await inner.compareAndSet(key, value, options)
      if (!armed) return version
      armed = false
      return undefined
    },
    delete: (key) => inner.delete(key),
    subscribe: (key, listener) => inner.subscribe(key, listener),
    arm() {
      armed = true
    },
  }
  return store
}

describe('suspected gaps in the protocol', () => {
  it('a lock write that lands but reports "fenced": the instance sees its own lease and refreshes at once', async () => {
    const bolt = await startEmulator()
    const store = landsButReportsFenced(createMemoryStore({ clock: bolt.now }))
    const tokens = managerFor(bolt, createFetchTransport(), { store, leaseMs: 60_000 })
    await logIn(bolt, tokens, 'shopper')
    bolt.advanceClock(PAST_EXPIRY_MS)
    store.arm()
    const started = performance.now()
    const token = await tokens.getAccessToken('shopper')
    // Not a whole lease (60 s) of waiting on itself.
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(bolt.stats).toMatchObject({ refreshes: 1, invalidGrants: 0 })
    expect(tokens.takeovers).toEqual([])
  })

  it('a step-up on an instance holding unsaved refreshed tokens saves them first: a failed step-up then falls back to them', async () => {
    const bolt = await startEmulator()
    const store = flakyStore(createMemoryStore({ clock: bolt.now }))
    const gate = createGatedTransport(createFetchTransport())
    const tokens = managerFor(bolt, gate, { store, retry: false, timeoutMs: 1_000, leaseMs: 2_000 })
    const login = tokens.exchangeCode('shopper', { code: bolt.login().code })
    ;(await gate.nextRequest()).release()
    await login
    bolt.advanceClock(PAST_EXPIRY_MS)
    // The refresh goes through at Bolt, but saving its answer fails: the caller still gets the
    // new token, and this instance keeps the tokens to save.
    const refreshing = tokens.getAccessToken('shopper')
    const refresh = await gate.nextRequest()
    store.failNext(1)
    refresh.release()
    const refreshed = await refreshing
    // A step-up starts on the same instance, and Bolt fails it.
    bolt.injectFault(faults.html(502))
    const stepUp = tokens.exchangeCode('shopper', { code: bolt.login().code })
    ;(await gate.nextRequest()).release()
    expect(
      await stepUp.then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      ),
    ).toBe('SERVER_ERROR')
    // The session falls back to the refreshed tokens: nobody presents the spent refresh token.
    expect(await tokens.getAccessToken('shopper')).toBe(refreshed)
    expect(await tokens.getStatus('shopper')).toMatchObject({ state: 'viewOnly' })
    expect(bolt.stats).toMatchObject({ refreshes: 1, invalidGrants: 0 })
    gate.close()
  })

  it('the documented limit: a refresh answer Bolt processed but that fails validation (a string expires_in) is not trusted, its rotation is lost, and the next refresh ends the session', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: createMemoryStore({ clock: bolt.now }),
      retry: false,
    })
    await logIn(bolt, tokens, 'shopper')
    bolt.advanceClock(PAST_EXPIRY_MS)
    // Bolt rotates the refresh token, and writes expires_in as a string.
    bolt.injectFault({ type: 'transform', set: { expires_in: '3600' } })
    const first = await tokens.getAccessToken('shopper').then(
      () => undefined,
      (thrown: { code?: string; message?: string }) => thrown,
    )
    expect(first?.code).toBe('INVALID_RESPONSE')
    expect(first?.message).toMatch(/previous refresh token was kept/)
    // The kept refresh token was spent by the answer we could not trust: Bolt refuses it.
    const second = await tokens.getAccessToken('shopper').then(
      () => undefined,
      (thrown: { code?: string }) => thrown,
    )
    expect(second?.code).toBe('INVALID_GRANT')
    expect(bolt.stats).toMatchObject({ refreshes: 1, invalidGrants: 1 })
  })
})
