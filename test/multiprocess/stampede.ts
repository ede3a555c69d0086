// The refresh stampede across processes, on any shared store: each store's test file runs it
// inside its own describe (stampede.test.ts on Redis).
import { expect, it } from 'vitest'
import {
  outcomes,
  refreshRequests,
  type SharedStore,
  startExpiredSession,
  tokensOf,
  transitionsOf,
} from './scenario.js'
import { exitWorker, request, spawnWorker } from './workers.js'

const WORKERS = ['A', 'B', 'C', 'D']
const CONCURRENCY = 50

/**
 * Registers the stampede on the store `shared` opens (a fresh one for the test, which may be
 * async: it runs inside the test). `on` names the store in the title, e.g. `Deno KV on one
 * SQLite file`.
 */
export function stampedeTest(shared: () => SharedStore | Promise<SharedStore>, on?: string): void {
  const title = `${WORKERS.length} processes × ${CONCURRENCY} concurrent getAccessToken on an expired session: one refresh, one token`
  it(on === undefined ? title : `${on}: ${title}`, {
    timeout: 30_000,
  }, async () => {
    const opened = await shared()
    const { bolt, parent, sessionId, workerOptions } = await startExpiredSession({}, () => opened)
    expect((await parent.getStatus(sessionId)).state).toBe('expired')
    // Hold the refresh answer back so that every worker finds the refresh in flight.
    bolt.injectFault({ type: 'delay', ms: 200 })
    const timing = { timeoutMs: 5_000, leaseMs: 8_000, pollIntervalMs: 100 }

    const workers = await Promise.all(
      WORKERS.map((name) => spawnWorker(workerOptions(name, timing))),
    )
    const replies = await Promise.all(
      workers.map((worker) =>
        request(worker, { type: 'go', sessionId, concurrency: CONCURRENCY }, 'results'),
      ),
    )

    const results = replies.flatMap((reply) => reply.results)
    expect(outcomes(results)).toEqual(Array(WORKERS.length * CONCURRENCY).fill('ok'))
    const tokens = tokensOf(results)
    expect(new Set(tokens).size).toBe(1)

    expect(bolt.stats).toEqual(
      expect.objectContaining({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 }),
    )
    expect(refreshRequests(bolt)).toHaveLength(1)

    // Exactly one process won the compare-and-set into `refresh`, and it alone stored the result.
    const events = workers.flatMap((worker) => worker.events)
    expect(transitionsOf(events, 'REFRESH_STARTED')).toHaveLength(1)
    expect(transitionsOf(events, 'REFRESH_SUCCEEDED')).toHaveLength(1)
    const refreshers = workers.filter(
      (worker) => transitionsOf(worker.events, 'REFRESH_STARTED').length > 0,
    )
    expect(refreshers).toHaveLength(1)
    expect(transitionsOf(refreshers[0]?.events ?? [], 'REFRESH_SUCCEEDED')).toHaveLength(1)
    expect(events.filter((event) => event.type === 'error')).toEqual([])

    expect((await parent.getStatus(sessionId)).state).toBe('viewOnly')
    // The test process reads the same token from the store, without asking Bolt again.
    const requestsBefore = bolt.stats.tokenRequests
    const fromParent = await parent.getAccessToken(sessionId)
    expect(fromParent === tokens[0]).toBe(true)
    expect(bolt.stats.tokenRequests).toBe(requestsBefore)

    const exits = await Promise.all(workers.map((worker) => exitWorker(worker)))
    expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })))
  })
}
