/**
 * Issue 14, item 3: a login whose final write fails ambiguously. Bolt has accepted the code
 * (it is spent, and a second exchange of it would count as a replay); the tokens it issued
 * must survive, as a refresh's do, and the error must say not to send the code again.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { TokenStore } from '../../src/contracts.js'
import { accountStatus, managerFor, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { ambiguousStore, flakyStore } from '../support/store-wrappers.js'

describe('a login whose final write fails ambiguously', () => {
  it('(a) the write landed but the client reported an error: the login succeeds, once', async () => {
    const bolt = await startEmulator()
    const store = ambiguousStore(createMemoryStore({ clock: bolt.now }))
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    const code = bolt.login().code
    // The lease write goes through; the write of Bolt's answer lands, then "times out".
    const exchanging = tokens.exchangeCode('shopper', { code })
    await new Promise((resolve) => setTimeout(resolve, 0))
    store.failNextWrite()
    await exchanging
    expect(store.landedButFailed).toBe(1)
    expect(await tokens.getStatus('shopper')).toMatchObject({
      state: 'fullyScoped',
      canManage: true,
    })
    const token = await tokens.getAccessToken('shopper', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    // The code was sent once: nothing tempted the merchant into a replay.
    expect(
      bolt.requests.filter((request) => request.grantType === 'authorization_code'),
    ).toHaveLength(1)
  })

  it('(b) the write did not land and the store stays down: the error says the code is spent, and the tokens are saved on the next call', async () => {
    const bolt = await startEmulator()
    const store = flakyStore(createMemoryStore({ clock: bolt.now }))
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    const code = bolt.login().code
    const exchanging = tokens.exchangeCode('shopper', { code })
    await new Promise((resolve) => setTimeout(resolve, 0))
    // The write of Bolt's answer fails, and so does the read that would tell whether it landed.
    store.failNext(2)
    const error = await rejection(exchanging)
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(error.message).toMatch(/do not send (this|the) code again/i)
    // The store is back: the next call on this instance saves Bolt's tokens and hands them out.
    const token = await tokens.getAccessToken('shopper', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    expect(await tokens.getStatus('shopper')).toMatchObject({ state: 'fullyScoped' })
    expect(
      bolt.requests.filter((request) => request.grantType === 'authorization_code'),
    ).toHaveLength(1)
  })

  it('(b) the write did not land and the store was down for a moment: without another call, the instance saves the login by itself', async () => {
    const bolt = await startEmulator()
    const shared = createMemoryStore({ clock: bolt.now })
    const store = flakyStore(shared)
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    const elsewhere = managerFor(bolt, createFetchTransport(), { store: shared })
    const exchanging = tokens.exchangeCode('shopper', { code: bolt.login().code })
    await new Promise((resolve) => setTimeout(resolve, 0))
    store.failNext(2)
    const error = await rejection(exchanging)
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(error.message).toMatch(/saves them by itself once the store answers/)
    // Another instance sees the login still in flight; nobody calls this one again.
    expect(await elsewhere.getStatus('shopper')).toMatchObject({ state: 'codeExchange' })
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(await elsewhere.getStatus('shopper')).toMatchObject({ state: 'fullyScoped' })
    const token = await elsewhere.getAccessToken('shopper', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 0 })
  })

  it('(b) the write did not land but the store answers again: the login is saved at once', async () => {
    const bolt = await startEmulator()
    const store = flakyStore(createMemoryStore({ clock: bolt.now }))
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    const exchanging = tokens.exchangeCode('shopper', { code: bolt.login().code })
    await new Promise((resolve) => setTimeout(resolve, 0))
    store.failNext(1)
    await exchanging
    expect(await tokens.getStatus('shopper')).toMatchObject({ state: 'fullyScoped' })
  })

  it('the write landed, and before the login could check, the session moved on (a logout elsewhere): the error says so, and the logout stands', async () => {
    const bolt = await startEmulator()
    const shared = createMemoryStore({ clock: bolt.now })
    const elsewhere = managerFor(bolt, createFetchTransport(), { store: shared })
    // The write of Bolt's answer lands; before its answer comes back, another instance logs
    // the shopper out; then the client reports a timeout.
    let armed = false
    const store: TokenStore = {
      get: (key, now) => shared.get(key, now),
      async compareAndSet(key, value, options) {
        const version = await shared.compareAndSet(key, value, options)
        if (!armed) return version
        armed = false
        await elsewhere.logout('shopper')
        throw new Error('Command timed out')
      },
      delete: (key) => shared.delete(key),
      subscribe: (key, listener) => shared.subscribe(key, listener),
    }
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    const exchanging = tokens.exchangeCode('shopper', { code: bolt.login().code })
    await new Promise((resolve) => setTimeout(resolve, 0))
    armed = true
    const error = await rejection(exchanging)
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(error.message).toMatch(/do not send this code again/i)
    expect(error.message).toMatch(/the session changed since/i)
    // Nothing is kept to be saved later: the logout is not undone by this instance's next call.
    expect(await tokens.getStatus('shopper')).toMatchObject({ state: 'unauthenticated' })
    expect(await rejection(tokens.getAccessToken('shopper')).then((thrown) => thrown.code)).toBe(
      'NOT_AUTHENTICATED',
    )
    expect(await elsewhere.getStatus('shopper')).toMatchObject({ state: 'unauthenticated' })
    expect(
      bolt.requests.filter((request) => request.grantType === 'authorization_code'),
    ).toHaveLength(1)
  })
})
