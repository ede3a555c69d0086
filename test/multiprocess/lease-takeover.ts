// The kill -9 lease takeover, on any shared store: each store's test file runs it inside its own
// describe (lease-takeover.test.ts on Redis).
import { expect, it } from 'vitest'
import type { TokenStore } from '../../src/contracts.js'
import { decodeSessionRecord } from '../../src/manager/session-record.js'
import { storeKey } from '../support/harness.js'
import {
  type ExpiredSession,
  outcomes,
  refreshRequests,
  type SharedStore,
  startExpiredSession,
  tokensOf,
  transitionsOf,
} from './scenario.js'
import { exitWorker, kill, post, request, spawnWorker, waitUntil } from './workers.js'

const TIMING = { timeoutMs: 500, leaseMs: 1_500, pollIntervalMs: 100 }
const REFRESH_DELAY_MS = 600
const CALLERS = 10

/**
 * Worker A wins the refresh lease and sends the refresh; the emulator holds the answer back
 * for 600 ms, and A is SIGKILLed as soon as the request has arrived. The emulator then rotates
 * the refresh token A presented, but nobody stores the answer: the record stays in `refresh`
 * under A's lease. Resolves once the emulator has rotated, with worker B (idle so far) and the
 * refresh token A presented.
 *
 * B is forked together with A, not after A's death: forking a worker with tsx takes 1–2 s,
 * longer than what is left of A's 1.5 s lease once the emulator has rotated, so a B forked
 * afterwards would find the lease already ended and never wait on it. B shares nothing with
 * A and touches the session only on its `go`, which is sent once A is dead.
 */
async function killLeaseHolderMidRefresh(session: ExpiredSession) {
  const { bolt, parent, store, sessionId, workerOptions } = session
  bolt.injectFault({ type: 'delay', ms: REFRESH_DELAY_MS })
  const [a, b] = await Promise.all([
    spawnWorker(workerOptions('A', TIMING)),
    spawnWorker(workerOptions('B', TIMING)),
  ])
  post(a, { type: 'go', sessionId, concurrency: 1 })
  // A forwards its REFRESH_STARTED before it sends the request, and the emulator records a
  // request when it arrives (before the delay): both are certain before the answer exists.
  await waitUntil(
    () =>
      refreshRequests(bolt).length === 1 && transitionsOf(a.events, 'REFRESH_STARTED').length === 1,
    "A's refresh request to reach the emulator",
  )
  expect(await kill(a, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
  const started = transitionsOf(a.events, 'REFRESH_STARTED')[0]
  expect(started).toMatchObject({ from: 'expired', to: 'refresh' })

  // A died holding the lock: the record is in `refresh` under A's lease.
  expect((await parent.getStatus(sessionId)).state).toBe('refresh')
  const stored = await store.get(storeKey(bolt, sessionId))
  const record = stored === undefined ? undefined : decodeSessionRecord(stored.value)
  expect(record?.value).toBe('refresh')
  const lease = record?.context.lease ?? null
  expect(lease).not.toBeNull()
  // The lease ends on the store's clock (lease-clock.ts): leaseMs after A took it, by that clock.
  const storeAhead = await storeClockAhead(store, bolt)
  expect(lease?.until).toBeGreaterThanOrEqual((started?.at ?? 0) + storeAhead + TIMING.leaseMs - 50)

  // The emulator still processes A's request after its delay: A's refresh token is now spent.
  await waitUntil(() => bolt.stats.refreshes === 1, "the emulator to rotate A's refresh token")
  const presentedByA = refreshRequests(bolt)[0]?.refreshTokenHash
  expect(presentedByA).toBeDefined()
  expect((await parent.getStatus(sessionId)).state).toBe('refresh')
  // B is sent in while the lease is live: it must wait it out.
  expect(bolt.now() + storeAhead).toBeLessThan(lease?.until ?? 0)
  return { b, leaseUntil: (lease?.until ?? 0) - storeAhead, presentedByA }
}

/**
 * How far the store's clock (the one leases end on) runs ahead of the emulator's (the one
 * the managers' transitions are stamped with), measured from the middle of one read. Off by
 * half a round trip on loopback: well under the 50 ms the lease checks allow.
 */
async function storeClockAhead(store: TokenStore, bolt: { now(): number }): Promise<number> {
  const before = bolt.now()
  const storeNow = store.time === undefined ? (store.clock?.() ?? Date.now()) : await store.time()
  return storeNow - (before + bolt.now()) / 2
}

/** Registers the takeover's two cases on the store `shared` opens (a fresh one per test). */
export function leaseTakeoverTests(shared: () => SharedStore): void {
  it('with a grace window: the next process takes over and the spent refresh token is answered again', {
    timeout: 30_000,
  }, async () => {
    const session = await startExpiredSession({ refreshGraceMs: 10_000 }, shared)
    const { bolt, parent, sessionId } = session
    const { b, leaseUntil, presentedByA } = await killLeaseHolderMidRefresh(session)

    const { results } = await request(b, { type: 'go', sessionId, concurrency: CALLERS }, 'results')

    expect(outcomes(results)).toEqual(Array(CALLERS).fill('ok'))
    const tokens = tokensOf(results)
    expect(new Set(tokens).size).toBe(1)
    expect((await parent.getStatus(sessionId)).state).toBe('viewOnly')

    // B presented the refresh token A had presented, once, after A's lease ended.
    const presented = refreshRequests(bolt)
    expect(presented).toHaveLength(2)
    expect(presented[1]?.refreshTokenHash === presentedByA).toBe(true)
    expect(presented[1]?.status).toBe(200)
    expect(bolt.stats).toEqual(
      expect.objectContaining({
        refreshes: 1,
        graceReissues: 1,
        reuseDetected: 0,
        invalidGrants: 0,
      }),
    )

    const takeovers = transitionsOf(b.events, 'LEASE_TAKEN_OVER')
    expect(takeovers).toHaveLength(1)
    expect(takeovers[0]).toMatchObject({ from: 'refresh', to: 'refresh' })
    expect(takeovers[0]?.at).toBeGreaterThan(leaseUntil - 50)
    expect(transitionsOf(b.events, 'REFRESH_SUCCEEDED')).toMatchObject([
      { from: 'refresh', to: 'viewOnly' },
    ])
    expect(transitionsOf(b.events, 'REFRESH_STARTED')).toEqual([])

    // The re-issued answer is what the test process now reads, without asking Bolt again.
    const requestsBefore = bolt.stats.tokenRequests
    expect((await parent.getAccessToken(sessionId)) === tokens[0]).toBe(true)
    expect(bolt.stats.tokenRequests).toBe(requestsBefore)

    expect(await exitWorker(b)).toEqual({ code: 0, signal: null })
  })

  it('without a grace window: every waiting caller gets INVALID_GRANT once, and the session ends', {
    timeout: 30_000,
  }, async () => {
    const session = await startExpiredSession({ refreshGraceMs: 0 }, shared)
    const { bolt, parent, sessionId } = session
    const { b, leaseUntil, presentedByA } = await killLeaseHolderMidRefresh(session)

    const { results } = await request(b, { type: 'go', sessionId, concurrency: CALLERS }, 'results')

    expect(outcomes(results)).toEqual(Array(CALLERS).fill('INVALID_GRANT'))

    // No loop: A's request and B's single retry of the same (spent) refresh token.
    const presented = refreshRequests(bolt)
    expect(presented).toHaveLength(2)
    expect(presented[1]?.refreshTokenHash === presentedByA).toBe(true)
    expect(presented[1]?.status).toBe(422)
    expect(bolt.stats).toEqual(
      expect.objectContaining({
        refreshes: 1,
        graceReissues: 0,
        reuseDetected: 1,
        invalidGrants: 1,
      }),
    )

    const takeovers = transitionsOf(b.events, 'LEASE_TAKEN_OVER')
    expect(takeovers).toHaveLength(1)
    expect(takeovers[0]?.at).toBeGreaterThan(leaseUntil - 50)
    expect(transitionsOf(b.events, 'REFRESH_FAILED')).toMatchObject([
      { from: 'refresh', to: 'unauthenticated' },
    ])

    const status = await parent.getStatus(sessionId)
    expect(status).toMatchObject({
      state: 'unauthenticated',
      expiresAt: null,
      lastError: { code: 'INVALID_GRANT' },
    })
    expect((await request(b, { type: 'status', sessionId }, 'status')).status).toEqual(status)

    // Later calls, in B and in the test process, end at once without asking Bolt.
    const requestsBefore = bolt.stats.tokenRequests
    const later = await request(b, { type: 'go', sessionId, concurrency: 1 }, 'results')
    expect(outcomes(later.results)).toEqual(['NOT_AUTHENTICATED'])
    await expect(parent.getAccessToken(sessionId)).rejects.toMatchObject({
      code: 'NOT_AUTHENTICATED',
    })
    expect(bolt.stats.tokenRequests).toBe(requestsBefore)

    expect(await exitWorker(b)).toEqual({ code: 0, signal: null })
  })
}
