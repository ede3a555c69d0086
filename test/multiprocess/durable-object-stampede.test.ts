// The refresh stampede on Durable Objects: two Worker services in one workerd, each its own
// isolate with its own token manager, both bound to the one namespace of BoltSessionObject,
// fire 50 concurrent getAccessToken each on one expired session. The Bolt emulator runs here,
// on loopback; the shopper logged in from this process through the same store.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { durableObjectClient } from '../support/durable-objects/client.js'
import type { StampedeCall, StampedeResult } from '../support/durable-objects/worker.js'
import {
  type DurableObjectsWorkerd,
  describeWorkerd,
  startDurableObjectsWorkerd,
} from '../support/durable-objects/workerd.js'
import { refreshRequests, type SharedStore, startExpiredSession } from './scenario.js'

const CALLERS = 50

let workerd: DurableObjectsWorkerd

function sharedDurableObjectStore(): SharedStore {
  const prefix = `stampede:${randomUUID()}:`
  const store = durableObjectClient(workerd.url, prefix)
  return {
    store,
    close: () => store.close(),
    worker: { module: 'durable-object', options: { url: workerd.url, prefix } },
  }
}

describeWorkerd('refresh stampede across Worker services (Durable Objects in workerd)', () => {
  beforeAll(async () => {
    workerd = await startDurableObjectsWorkerd()
  }, 60_000)
  afterAll(async () => {
    await workerd?.stop()
  })

  it(`2 Worker services × ${CALLERS} concurrent getAccessToken on an expired session: one refresh, one token`, {
    timeout: 30_000,
  }, async () => {
    let prefix = ''
    const { bolt, parent, sessionId } = await startExpiredSession({}, () => {
      const shared = sharedDurableObjectStore()
      prefix = (shared.worker.options as { prefix: string }).prefix
      return shared
    })
    expect((await parent.getStatus(sessionId)).state).toBe('expired')
    // Hold the refresh answer back so that both services find the refresh in flight.
    bolt.injectFault({ type: 'delay', ms: 200 })

    const call: StampedeCall = {
      prefix,
      sessionId,
      callers: CALLERS,
      connection: { clientId: bolt.clientId, clientSecret: bolt.clientSecret, baseUrl: bolt.url },
      clockOffsetMs: bolt.now() - Date.now(),
    }
    const replies = await Promise.all(
      [workerd.url, workerd.secondUrl].map(async (url) => {
        const response = await fetch(`${url}/stampede`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(call),
        })
        expect(response.status).toBe(200)
        return (await response.json()) as { results: StampedeResult[]; refreshesStarted: number }
      }),
    )

    const results = replies.flatMap((reply) => reply.results)
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual(
      Array(2 * CALLERS).fill('ok'),
    )
    const tokens = results.flatMap((result) => (result.ok ? [result.token] : []))
    expect(new Set(tokens).size).toBe(1)
    expect(bolt.stats).toEqual(
      expect.objectContaining({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 }),
    )
    expect(refreshRequests(bolt)).toHaveLength(1)
    // Exactly one service's manager won the compare-and-set into `refresh`.
    expect(replies.map((reply) => reply.refreshesStarted).sort()).toEqual([0, 1])

    // This process reads the same token from the Durable Object, without asking Bolt again.
    const requestsBefore = bolt.stats.tokenRequests
    expect((await parent.getAccessToken(sessionId)) === tokens[0]).toBe(true)
    expect(bolt.stats.tokenRequests).toBe(requestsBefore)
    expect((await parent.getStatus(sessionId)).state).toBe('viewOnly')
  })
})
