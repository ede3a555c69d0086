// The Durable Objects store against real Durable Objects in workerd.
//
// How: the suite runs here in vitest, and every store call is one HTTP request to a Worker in
// workerd that makes it on the real `createDurableObjectStore` (test/support/durable-objects/).
// The alternative, running `testTokenStore` inside the Worker, cannot run its single-flight
// tests: they start a Bolt emulator, an HTTP server, which a Worker cannot be. This way every
// line of the store and of the object runs in workerd against its storage (SQLite on local
// disk, as on Cloudflare), and only the suite and its token managers run in Node. The peer
// store goes through the second Worker service, as another Worker would; the sibling is the
// store on another prefix of the same namespace.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testTokenStore } from '../../src/testing/index.js'
import { durableObjectClient } from '../support/durable-objects/client.js'
import {
  type DurableObjectsWorkerd,
  describeWorkerd,
  startDurableObjectsWorkerd,
} from '../support/durable-objects/workerd.js'

let workerd: DurableObjectsWorkerd

describeWorkerd('Durable Objects store (workerd)', () => {
  beforeAll(async () => {
    workerd = await startDurableObjectsWorkerd()
  }, 60_000)
  afterAll(async () => {
    await workerd?.stop()
  })

  testTokenStore(
    { describe, it, expect },
    'Durable Objects store',
    async () => {
      const prefix = `test:${randomUUID()}:`
      const clients = [
        durableObjectClient(workerd.url, prefix),
        durableObjectClient(workerd.url, `test:${randomUUID()}:`),
        durableObjectClient(workerd.secondUrl, prefix),
      ] as const
      const [store, sibling, peer] = clients
      return {
        store,
        sibling,
        peer,
        elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        close: async () => {
          await Promise.all(clients.map((client) => client.close()))
        },
      }
    },
    { answers: 'promise' },
  )

  it('a subscription outlives the watch deadline: the object ends each stream after watchMs, the store opens the next one naming the revision it saw', async () => {
    const store = durableObjectClient(workerd.url, `test:${randomUUID()}:`, { watchMs: 100 })
    const key = `session-${randomUUID()}`
    let calls = 0
    const unsubscribe = await store.subscribe(key, () => {
      calls++
    })
    // Several streams come and go; none reports a change that did not happen.
    await new Promise((resolve) => setTimeout(resolve, 450))
    expect(calls).toBe(0)
    const version =
      (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
    await eventually(() => calls === 1)
    await new Promise((resolve) => setTimeout(resolve, 250))
    await store.delete(key)
    await eventually(() => calls === 2)
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(calls).toBe(2)
    expect(version).toBeGreaterThan(0)
    unsubscribe()
    await store.close()
  })
})

/** Resolves once `check()` holds; rejects after 2 s. */
async function eventually(check: () => boolean): Promise<void> {
  const giveUp = Date.now() + 2_000
  while (!check()) {
    if (Date.now() > giveUp) throw new Error('condition not met within 2 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
