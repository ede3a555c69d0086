/**
 * Issue 16, item 1, on real processes: a Redis primary, two replicas and Sentinel
 * (`redis-server --sentinel`, quorum 1), clients through ioredis's Sentinel support. Under a
 * refresh stampede, the primary is killed (SIGKILL) the moment the rotations have committed on
 * it, before its replicas have them; Sentinel promotes a replica. Then every session is
 * checked: its refreshed tokens must still be usable (the next refresh presents the newest
 * refresh token of its family; a spent one presented counts as a loss).
 *
 * The window is made real, the same way for both runs: replication is held back (each replica
 * replicates through a proxy that stops forwarding) once every lock write has reached both
 * replicas, then Bolt answers, the managers write the rotations to the primary, and the
 * primary dies. On loopback, without the hold, replicas get a write within a millisecond and
 * the kill would almost never find the window; with it, the run is the worst case of an
 * asynchronous replica, deterministically. With `replicas: 1`, every session must survive;
 * without, the loss is measured (and printed).
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createRedisStore, type RedisStoreOptions } from '../../adapters/storage/redis.js'
import { isBoltTokenError } from '../../src/errors.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { describeSentinel, type SentinelSetup, startSentinelSetup } from './sentinel-setup.js'

const SESSIONS = 30
const MANAGERS = 3
const CALLERS_PER_MANAGER = 2
// The lease outlasts lock → rotations → kill → promotion (about 3 s here): see "Failover" in
// docs/redis.md for why it must.
// Every session's refresh takes its lock before any answer comes (the test holds them there):
// the managers' line of refreshes (maxRefreshesInFlight) must let them all through at once.
const TIMING = { timeoutMs: 1_000, leaseMs: 5_000, pollIntervalMs: 50, maxRefreshesInFlight: 64 }
// How long Bolt holds every refresh answer: the locks are taken and replicated meanwhile.
const BOLT_DELAY_MS = 400

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

interface FailoverRun {
  /** Sessions whose tokens did not survive: the next refresh failed, or a spent token was presented. */
  lost: number
  /** Spent refresh tokens Bolt saw presented again. */
  reuseDetected: number
  /** Stampede callers that got a token, and that failed (during the failover). */
  stampede: { ok: number; failed: Record<string, number> }
  /** Rotations (one per session, plus the check's). */
  refreshes: number
  failoverMs: number
  /** Refreshes whose save was not confirmed: their instance kept the tokens (error events). */
  kept: number
}

/**
 * `killWhen`: `all`, once every rotation has committed on the primary; `first`, once the first
 * has (the others are then in flight, or queued for a write connection).
 */
async function stampedeThroughFailover(
  storeOptions: RedisStoreOptions,
  killWhen: 'all' | 'first' = 'all',
): Promise<FailoverRun> {
  const setup: SentinelSetup = await startSentinelSetup({ replicaCount: 2 })
  cleanups.push(() => setup.stop())
  const bolt = await startEmulator()
  const prefix = `failover:${randomUUID().slice(0, 8)}:`
  const http = createFetchTransport()
  const managers = Array.from({ length: MANAGERS }, () => {
    const client = new Redis(
      setup.clientOptions({
        commandTimeout: 2_000,
        retryStrategy: () => 50,
        sentinelRetryStrategy: () => 50,
      }),
    )
    client.on('error', () => {})
    const store = createRedisStore(client, { prefix, ...storeOptions })
    cleanups.push(async () => {
      await store.close()
      client.disconnect()
    })
    return managerFor(bolt, http, { store, ...TIMING })
  })
  const [first] = managers
  if (first === undefined) throw new Error('no manager')

  const sessions = Array.from({ length: SESSIONS }, (_, i) => `shopper-${i}`)
  for (const sessionId of sessions) {
    await first.exchangeCode(sessionId, { code: bolt.login().code })
  }
  await setup.waitForReplicaInSync()

  // Every session expires at once; every manager has callers for every session.
  bolt.advanceClock(PAST_EXPIRY_MS)
  for (let i = 0; i < SESSIONS; i++) bolt.injectFault({ type: 'delay', ms: BOLT_DELAY_MS })
  const states = () => Promise.all(sessions.map(async (id) => (await first.getStatus(id)).state))
  const calls = sessions.flatMap((sessionId) =>
    managers.flatMap((manager) =>
      Array.from({ length: CALLERS_PER_MANAGER }, () =>
        manager.getAccessToken(sessionId).then(
          () => 'ok',
          (error: unknown) => (isBoltTokenError(error) ? error.code : String(error)),
        ),
      ),
    ),
  )

  // Every lock is on the primary, and on both replicas; from now on replication is held.
  await until(async () => (await states()).every((state) => state === 'refresh'), 'the locks')
  await setup.waitForReplicaInSync()
  setup.holdReplication()
  // Bolt answers; the moment the rotations have committed on the primary, it dies.
  await until(async () => {
    const rotated = (await states()).filter((state) => state === 'viewOnly').length
    return killWhen === 'all' ? rotated === SESSIONS : rotated > 0
  }, 'the rotations')
  setup.killPrimary()
  const killedAt = Date.now()
  await setup.waitForPromotion()
  const failoverMs = Date.now() - killedAt

  const outcomes = await Promise.all(calls)
  const failed: Record<string, number> = {}
  for (const outcome of outcomes) if (outcome !== 'ok') failed[outcome] = (failed[outcome] ?? 0) + 1

  // The check, after the failover: every session on every manager, then one more rotation
  // each (the stored refresh token must be the newest of its family).
  const lostSessions = new Set<string>()
  await Promise.all(
    sessions.flatMap((sessionId) =>
      managers.map((manager) =>
        manager.getAccessToken(sessionId).catch((error: unknown) => {
          if (
            isBoltTokenError(error, 'INVALID_GRANT') ||
            isBoltTokenError(error, 'NOT_AUTHENTICATED')
          )
            lostSessions.add(sessionId)
        }),
      ),
    ),
  )
  bolt.advanceClock(PAST_EXPIRY_MS)
  for (const sessionId of sessions) {
    try {
      await first.getAccessToken(sessionId)
    } catch {
      lostSessions.add(sessionId)
    }
  }
  return {
    lost: lostSessions.size,
    reuseDetected: bolt.stats.reuseDetected,
    stampede: { ok: outcomes.filter((outcome) => outcome === 'ok').length, failed },
    refreshes: bolt.stats.refreshes,
    failoverMs,
    kept: managers
      .flatMap((manager) => manager.errors)
      .filter((event) => /refreshed tokens could not be saved/.test(event.detail ?? '')).length,
  }
}

describeSentinel('a Sentinel failover in the middle of a refresh stampede (real processes)', () => {
  it(`replicas: 1, WAIT timed out before the kill — the primary dies once all ${SESSIONS} rotations have committed on it, unreplicated: no session is lost`, {
    timeout: 30_000,
  }, async () => {
    // Every WAIT times out while replication is held: the instances hand out the new tokens,
    // keep them, and re-commit them once the failover has brought the old records back.
    const run = await stampedeThroughFailover({ replicas: 1, replicaTimeoutMs: 250 })
    console.log(`[failover] replicas: 1, WAIT timed out → ${JSON.stringify(run)}`)
    expect(run.kept).toBe(SESSIONS)
    expect(run.lost).toBe(0)
    expect(run.reuseDetected).toBe(0)
    // One rotation per session in the stampede, one in the check.
    expect(run.refreshes).toBe(2 * SESSIONS)
  })

  it('replicas: 1, WAIT pending at the kill — the primary dies as the first rotation commits: no session is lost', {
    timeout: 30_000,
  }, async () => {
    const run = await stampedeThroughFailover({ replicas: 1, replicaTimeoutMs: 5_000 }, 'first')
    console.log(`[failover] replicas: 1, WAIT pending → ${JSON.stringify(run)}`)
    expect(run.kept).toBeGreaterThan(0)
    expect(run.lost).toBe(0)
    expect(run.reuseDetected).toBe(0)
    expect(run.refreshes).toBe(2 * SESSIONS)
  })

  it(`without replicas — the same failover as the first: the loss is measured`, {
    timeout: 30_000,
  }, async () => {
    const run = await stampedeThroughFailover({})
    console.log(`[failover] without replicas → ${JSON.stringify(run)}`)
    expect(run.kept).toBe(0)
    // Every rotation committed on the primary alone, and the primary is gone: each session
    // is left with a refresh token Bolt has spent.
    expect(run.lost).toBe(SESSIONS)
    expect(run.reuseDetected).toBe(SESSIONS)
  })
})
