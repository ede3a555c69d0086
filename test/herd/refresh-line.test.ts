/**
 * Issue 16, item 3: a manager's refreshes wait in one line (src/manager/request-gate.ts),
 * checked through the manager with a gated transport: only `maxRefreshesInFlight` reach Bolt
 * at once, a 429 with Retry-After holds back the refreshes that had not started, and a caller
 * whose deadline comes in line gets RATE_LIMITED with retryAfterMs and leaves the session
 * refreshable.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { faults } from '../../src/emulator/index.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

describe('the line of refreshes', () => {
  it('at most maxRefreshesInFlight refreshes reach Bolt at once; the others start as answers come back', async () => {
    const bolt = await startEmulator()
    const gate = createGatedTransport(createFetchTransport())
    const tokens = managerFor(bolt, gate, { maxRefreshesInFlight: 2 })
    const ids = ['a', 'b', 'c', 'd', 'e']
    for (const id of ids) {
      const login = tokens.exchangeCode(id, { code: bolt.login().code })
      ;(await gate.nextRequest()).release()
      await login
    }
    bolt.advanceClock(PAST_EXPIRY_MS)
    const calls = ids.map((id) => settle(tokens.getAccessToken(id)))
    const first = await gate.nextRequest()
    const second = await gate.nextRequest()
    // Three sessions wait in line: no third request reaches Bolt while two are out.
    await expect(gate.nextRequest(300)).rejects.toThrow()
    expect((await tokens.getStatus('e')).state).toBe('expired')
    first.release()
    const third = await gate.nextRequest()
    await expect(gate.nextRequest(200)).rejects.toThrow()
    second.release()
    third.release()
    for (let i = 0; i < 2; i++) (await gate.nextRequest()).release()
    expect(await Promise.all(calls)).toEqual(ids.map(() => 'ok'))
    expect(bolt.stats).toMatchObject({ refreshes: 5, reuseDetected: 0 })
    gate.close()
  })

  it('a 429 with Retry-After pauses the refreshes that start after it, not only the one Bolt refused', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport(), { maxRefreshesInFlight: 4 })
    for (const id of ['a', 'b']) await logIn(bolt, tokens, id)
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault(faults.rateLimited('1'), { times: 1 })
    const a = settle(tokens.getAccessToken('a'))
    while (!bolt.requests.some((request) => request.status === 429)) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    // The emulator logs its answer as it sends it; give the manager a moment to read it.
    await new Promise((resolve) => setTimeout(resolve, 50))
    // A slot is free, but Bolt asked this instance to wait a second: b waits it out too.
    const started = performance.now()
    expect(await settle(tokens.getAccessToken('b'))).toBe('ok')
    expect(performance.now() - started).toBeGreaterThanOrEqual(900)
    expect(await a).toBe('ok')
    const refreshes = bolt.requests.filter((request) => request.grantType === 'refresh_token')
    expect(refreshes.map((request) => request.status)).toEqual([429, 200, 200])
  })

  it('a caller whose deadline comes while the line is paused gets RATE_LIMITED with retryAfterMs; nothing was sent, and the session refreshes after the pause', async () => {
    const bolt = await startEmulator()
    // A call's deadline is 2 × leaseMs (4 s); it waits in line at most that less one attempt.
    const tokens = managerFor(bolt, createFetchTransport(), { timeoutMs: 1_000, leaseMs: 2_000 })
    for (const id of ['a', 'b']) await logIn(bolt, tokens, id)
    bolt.advanceClock(PAST_EXPIRY_MS)
    // Bolt asks for 4 s, more than a's lease has left: a gives up at once, and the line pauses.
    bolt.injectFault(faults.rateLimited('4'), { times: 1 })
    const refused = (await rejection(tokens.getAccessToken('a'))) as Error & { code?: string }
    expect(refused.code).toBe('RATE_LIMITED')
    const waitedFrom = performance.now()
    const error = (await rejection(tokens.getAccessToken('b'))) as Error & {
      code?: string
      retryAfterMs?: number
    }
    expect(performance.now() - waitedFrom).toBeGreaterThanOrEqual(2_900)
    expect(error.code).toBe('RATE_LIMITED')
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(900)
    expect(error.message).toMatch(/Nothing was sent and the session is unchanged/)
    // Only a's refused request reached Bolt; both sessions are still there to refresh.
    expect(bolt.requests.filter((request) => request.grantType === 'refresh_token')).toHaveLength(1)
    expect(await tokens.getStatus('b')).toMatchObject({ state: 'expired' })
    await new Promise((resolve) => setTimeout(resolve, (error.retryAfterMs ?? 0) + 50))
    expect(await Promise.all(['a', 'b'].map((id) => settle(tokens.getAccessToken(id))))).toEqual([
      'ok',
      'ok',
    ])
    expect(bolt.stats).toMatchObject({ refreshes: 2, reuseDetected: 0, invalidGrants: 0 })
  })
})
