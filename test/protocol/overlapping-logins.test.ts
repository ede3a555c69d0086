/**
 * Issue 14, item 4: two logins of one session overlap (two tabs, two instances). The second
 * takes the session's lease from the first; whichever succeeds, the shopper stays logged in,
 * and a login is only thrown away for one that succeeded after it started.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { accountStatus, managerFor, startEmulator } from '../support/harness.js'

async function twoTabs() {
  const bolt = await startEmulator()
  const store = createMemoryStore({ clock: bolt.now })
  const gateA = createGatedTransport(createFetchTransport())
  const gateB = createGatedTransport(createFetchTransport())
  const a = managerFor(bolt, gateA, { store, retry: false })
  const b = managerFor(bolt, gateB, { store, retry: false })
  const settle = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    )
  const loginA = settle(a.exchangeCode('shopper', { code: bolt.login().code }))
  const heldA = await gateA.nextRequest()
  const loginB = settle(b.exchangeCode('shopper', { code: bolt.login().code }))
  const heldB = await gateB.nextRequest()
  const close = () => {
    gateA.close()
    gateB.close()
  }
  return { bolt, a, b, heldA, heldB, loginA, loginB, close }
}

describe('two overlapping logins of one session', () => {
  it('the first succeeds after the second took its lease, then the second fails: the first is kept', async () => {
    const { bolt, a, b, heldA, heldB, loginA, loginB, close } = await twoTabs()
    heldA.release()
    expect(await loginA).toBe('ok')
    heldB.drop()
    expect(await loginB).toBe('NETWORK_ERROR')
    expect(await b.getStatus('shopper')).toMatchObject({ state: 'fullyScoped', canManage: true })
    const token = await a.getAccessToken('shopper', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    close()
  })

  it('the second fails first: the session goes back to the first login, which then succeeds', async () => {
    const { bolt, a, heldA, heldB, loginA, loginB, close } = await twoTabs()
    heldB.drop()
    expect(await loginB).toBe('NETWORK_ERROR')
    expect(await a.getStatus('shopper')).toMatchObject({ state: 'codeExchange' })
    heldA.release()
    expect(await loginA).toBe('ok')
    const token = await a.getAccessToken('shopper', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    close()
  })

  it('both succeed: the second (newer) login wins, the first is told the session changed', async () => {
    const { bolt, a, heldA, heldB, loginA, loginB, close } = await twoTabs()
    heldB.release()
    expect(await loginB).toBe('ok')
    const second = await a.getAccessToken('shopper')
    heldA.release()
    expect(await loginA).toBe('SESSION_CHANGED')
    expect(await a.getAccessToken('shopper')).toBe(second)
    expect(await accountStatus(bolt, second, 'write')).toBe(200)
    close()
  })

  it('the first succeeds while the second is in flight, and the second succeeds too: the second wins', async () => {
    const { a, heldA, heldB, loginA, loginB, close } = await twoTabs()
    heldA.release()
    expect(await loginA).toBe('ok')
    const first = await a.getStatus('shopper')
    heldB.release()
    expect(await loginB).toBe('ok')
    expect(first).toMatchObject({ state: 'codeExchange' })
    expect(await a.getStatus('shopper')).toMatchObject({ state: 'fullyScoped' })
    close()
  })
})
