/**
 * Issue 16, item 3, across processes: the expiry herd on Redis against a Bolt that pushes
 * back. Sessions logged in together expire together; four backend instances get the herd at
 * once, each session asked by two callers on two different instances, while the emulator
 * admits 250 token requests a second and 8 at a time (the four instances' lines allow 64).
 * Every session is refreshed exactly once, nobody presents a spent token, no session is
 * logged out, and no caller fails: each waits its turn within its deadline.
 */
import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { describeRedis } from '../support/redis.js'
import type { CallResult } from './protocol.js'
import { sharedRedisStore, workerOptionsFor } from './scenario.js'
import { exitWorker, request, spawnWorker } from './workers.js'

const SESSIONS = 5_000
const WORKERS = ['A', 'B', 'C', 'D']
const LIMIT = { perSecond: 250, inFlight: 8 }

describeRedis('the expiry herd across processes (Redis)', () => {
  it(`${SESSIONS} sessions expire at once on ${WORKERS.length} processes, 2 callers each, Bolt admitting ${LIMIT.perSecond}/s and ${LIMIT.inFlight} at once: each refreshed once, no caller fails`, {
    timeout: 180_000,
  }, async () => {
    const bolt = await startEmulator()
    const shared = sharedRedisStore()
    const parent = managerFor(bolt, createFetchTransport(), { store: shared.store })
    const ids = Array.from({ length: SESSIONS }, () => `shopper-${randomUUID()}`)
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(
        ids.slice(i, i + 100).map((id) => parent.exchangeCode(id, { code: bolt.login().code })),
      )
    }
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.resetStats()
    bolt.setRateLimit(LIMIT)

    const timing = { timeoutMs: 10_000, leaseMs: 30_000, pollIntervalMs: 200 }
    const workers = await Promise.all(
      WORKERS.map((name) =>
        spawnWorker(
          workerOptionsFor(bolt, shared.worker, name, timing, {
            commandTimeoutMs: 10_000,
            // An IPC message per event of 10 000 calls would only slow the herd down.
            forwardEvents: false,
          }),
        ),
      ),
    )
    // Session i is asked on instances i and i + 1 (of four), one caller each.
    const askedOn = WORKERS.map((_, w) =>
      ids.filter((_, i) => i % WORKERS.length === w || (i + 1) % WORKERS.length === w),
    )
    const replies = await Promise.all(
      workers.map((worker, w) =>
        request(
          worker,
          { type: 'herd', sessionIds: askedOn[w] ?? [], callers: 1 },
          'results',
          120_000,
        ),
      ),
    )

    const tokensOf = new Map<string, Set<string>>()
    const failures: CallResult[] = []
    replies.forEach((reply, w) => {
      reply.results.forEach((result, i) => {
        const id = askedOn[w]?.[i] as string
        if (!result.ok) failures.push(result)
        else tokensOf.set(id, (tokensOf.get(id) ?? new Set()).add(result.token))
      })
    })
    expect(failures.map((failure) => (failure.ok ? '' : failure.code))).toEqual([])
    expect(tokensOf.size).toBe(SESSIONS)
    expect([...tokensOf.values()].filter((tokens) => tokens.size !== 1)).toEqual([])
    expect(bolt.stats).toMatchObject({
      refreshes: SESSIONS,
      reuseDetected: 0,
      invalidGrants: 0,
    })
    // Bolt did push back: the herd was drained at its pace, not failed.
    expect(bolt.stats.rateLimited).toBeGreaterThan(0)
    const sample = await Promise.all(ids.slice(0, 50).map((id) => parent.getStatus(id)))
    expect(new Set(sample.map((status) => status.state))).toEqual(new Set(['viewOnly']))

    const exits = await Promise.all(workers.map((worker) => exitWorker(worker)))
    expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })))
  })
})
