import { expect, it } from 'vitest'
import { createDenoKvStore } from '../../adapters/storage/deno-kv.js'
import { openTestKv, randomKvPrefix, tempKvPath } from '../support/deno-kv.js'
import {
  outcomes,
  refreshRequests,
  type SharedStore,
  startExpiredSession,
  tokensOf,
  transitionsOf,
} from './scenario.js'
import type { DenoKvWorkerStoreOptions } from './stores/deno-kv.js'
import { exitWorker, request, spawnWorker } from './workers.js'

const WORKERS = ['A', 'B', 'C', 'D']
const CONCURRENCY = 50

it(`Deno KV on one SQLite file (@deno/kv): ${WORKERS.length} processes × ${CONCURRENCY} concurrent getAccessToken on an expired session: one refresh, one token`, {
  timeout: 30_000,
}, async () => {
  const path = tempKvPath()
  const kv = await openTestKv(path)
  const options: DenoKvWorkerStoreOptions = { path, prefix: randomKvPrefix() }
  const shared = (): SharedStore => {
    const store = createDenoKvStore(kv, { prefix: options.prefix })
    return { store, close: () => store.close(), worker: { module: 'deno-kv', options } }
  }
  const { bolt, parent, sessionId, workerOptions } = await startExpiredSession({}, shared)
  expect((await parent.getStatus(sessionId)).state).toBe('expired')
  // Hold the refresh answer back so that every worker finds the refresh in flight.
  bolt.injectFault({ type: 'delay', ms: 200 })
  const timing = { timeoutMs: 5_000, leaseMs: 8_000, pollIntervalMs: 100 }

  const workers = await Promise.all(WORKERS.map((name) => spawnWorker(workerOptions(name, timing))))
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

  const events = workers.flatMap((worker) => worker.events)
  expect(transitionsOf(events, 'REFRESH_STARTED')).toHaveLength(1)
  expect(transitionsOf(events, 'REFRESH_SUCCEEDED')).toHaveLength(1)
  expect(events.filter((event) => event.type === 'error')).toEqual([])

  expect((await parent.getStatus(sessionId)).state).toBe('viewOnly')
  // The test process reads the same token from the file, without asking Bolt again.
  const requestsBefore = bolt.stats.tokenRequests
  expect((await parent.getAccessToken(sessionId)) === tokens[0]).toBe(true)
  expect(bolt.stats.tokenRequests).toBe(requestsBefore)

  const exits = await Promise.all(workers.map((worker) => exitWorker(worker)))
  expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })))
})
