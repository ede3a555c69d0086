/**
 * Issue 16, item 1, on a store wrapper (deterministic; the same on real processes is
 * sentinel-failover.test.ts): a rotation the primary acknowledged and then lost in a failover.
 *
 * After the failover the promoted replica shows the session as it was before the write: in
 * `refresh`, under the lease of the instance that presented the refresh token, holding the
 * refresh token Bolt has spent. With `replicas` the Redis store throws when `WAIT` falls short;
 * the manager keeps the rotated tokens, hands them to its callers, and saves them, fenced by
 * version, before anyone else writes the session. Without it the write counts as done, and
 * the next refresh presents the spent token.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { accountStatus, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { failoverStore } from '../support/store-wrappers.js'

const TIMING = { timeoutMs: 1_000, leaseMs: 2_000, pollIntervalMs: 50 }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/**
 * Two instances on one store; A refreshes an expired session, and its write of the rotation is
 * lost in a failover (`confirmed`: whether the store reported it done). Returns A's token.
 */
async function rotationLostInFailover(confirmed: boolean) {
  const bolt = await startEmulator()
  const store = failoverStore(createMemoryStore({ clock: bolt.now }))
  const http = createFetchTransport()
  const a = managerFor(bolt, http, { store, ...TIMING })
  const b = managerFor(bolt, http, { store, ...TIMING })
  await a.exchangeCode('shopper', { code: bolt.login().code })
  bolt.advanceClock(PAST_EXPIRY_MS)
  // Bolt answers after A's lock write has landed (and reached the replica).
  bolt.injectFault({ type: 'delay', ms: 200 })
  const refreshing = a.getAccessToken('shopper')
  await until(async () => (await b.getStatus('shopper')).state === 'refresh', 'the lock')
  store.loseNextWrite(confirmed)
  const token = await refreshing
  expect(store.lost).toBe(1)
  return { bolt, a, b, token }
}

/** Whether the session's stored refresh token is the newest of its family: the next rotation works. */
async function nextRotationWorks(bolt: BoltEmulator, tokens: TokenManager): Promise<string> {
  bolt.advanceClock(PAST_EXPIRY_MS)
  const before = bolt.stats.refreshes
  const token = await tokens.getAccessToken('shopper')
  expect(bolt.stats.refreshes).toBe(before + 1)
  return token
}

describe('a rotation lost in a failover', () => {
  it('with replicas: the caller gets the new token, the instance keeps it and saves it on its next call, before the waiting instance could take over; no token is reused', async () => {
    const { bolt, a, b, token } = await rotationLostInFailover(false)
    // Any caller on A gets the new token, and it works at Bolt.
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(a.errors.map((event) => event.error.code)).toEqual(['STORE_UNAVAILABLE'])
    expect(a.errors[0]?.detail).toMatch(/saves the tokens on its next call/)
    // The promoted replica: the refresh in flight under A's lease, the spent refresh token.
    expect((await b.getStatus('shopper')).state).toBe('refresh')

    // B's caller waits for A's lease; A's next caller saves the tokens, fenced by version.
    const fromB = b.getAccessToken('shopper')
    expect(await a.getAccessToken('shopper')).toBe(token)
    expect(await fromB).toBe(token)
    expect((await b.getStatus('shopper')).state).toBe('viewOnly')
    expect(b.takeovers).toEqual([])

    const next = await nextRotationWorks(bolt, b)
    expect(await accountStatus(bolt, next, 'read')).toBe(200)
    expect(bolt.stats).toMatchObject({ refreshes: 2, reuseDetected: 0, invalidGrants: 0 })
  })

  it('with replicas, and no further call on that instance: it saves the tokens by itself before its lease ends', async () => {
    const { bolt, b, token } = await rotationLostInFailover(false)
    // Only B is asked: it waits for A's lease, and A's save ends the wait.
    expect(await b.getAccessToken('shopper')).toBe(token)
    expect(b.takeovers).toEqual([])
    await nextRotationWorks(bolt, b)
    expect(bolt.stats).toMatchObject({ refreshes: 2, reuseDetected: 0, invalidGrants: 0 })
  })

  it('without replicas (the loss this option prevents): the write counted as done, the lease runs out, and the next refresh presents the spent token; the shopper is logged out', async () => {
    const { bolt, a, b, token } = await rotationLostInFailover(true)
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(a.errors).toEqual([])
    expect((await b.getStatus('shopper')).state).toBe('refresh')
    // B waits out A's lease, takes over, and presents the refresh token Bolt has spent.
    const error = await rejection(b.getAccessToken('shopper'))
    expect(error.code).toBe('INVALID_GRANT')
    expect(b.takeovers).toHaveLength(1)
    expect(bolt.stats).toMatchObject({ refreshes: 1, reuseDetected: 1 })
    expect((await a.getStatus('shopper')).state).toBe('unauthenticated')
  })
})
