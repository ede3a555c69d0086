import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { testTokenStore } from '../../src/testing/index.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { randomPrefix } from '../support/redis.js'
import {
  describeRedisCluster,
  startRedisCluster,
  type TestRedisCluster,
} from '../support/redis-cluster.js'

describeRedisCluster('Redis store on a 3-master Redis Cluster', () => {
  let cluster: TestRedisCluster
  const clients: Cluster[] = []
  const stores: RedisStore[] = []

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
  }, 30_000)
  afterAll(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()))
    await Promise.all(
      clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())),
    )
    await cluster?.stop()
  })

  function clusterClient(): Cluster {
    const client = new Cluster(cluster.nodes, {
      redisOptions: { commandTimeout: 2_000 },
      shardedSubscribers: true,
    })
    clients.push(client)
    return client
  }

  function clusterStore(client: Cluster, prefix: string): RedisStore {
    const store = createRedisStore(client, { prefix })
    stores.push(store)
    return store
  }

  testTokenStore(
    { describe, it, expect },
    'Redis Cluster store',
    async () => {
      const prefix = randomPrefix()
      const client = clusterClient()
      return {
        store: clusterStore(client, prefix),
        sibling: clusterStore(client, randomPrefix()),
        // Another cluster client on the same prefix: a second process, for the single-flight checks.
        peer: clusterStore(clusterClient(), prefix),
        elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      }
    },
    { answers: 'promise' },
  )

  it("time() reads one master's clock, the same every call, so instances agree on when a lease ends", async () => {
    const client = clusterClient()
    const store = clusterStore(client, randomPrefix())
    await store.time?.() // connects the client, which then knows its masters
    const masters = client.nodes('master')
    expect(masters).toHaveLength(3)
    const timeCalls = async () =>
      Promise.all(
        masters.map(async (node) => {
          const stats = await node.info('commandstats')
          return Number(/cmdstat_time:calls=(\d+)/.exec(stats)?.[1] ?? 0)
        }),
      )
    const before = await timeCalls()
    for (let call = 0; call < 20; call++) {
      expect(Math.abs((await (store.time?.() ?? 0)) - Date.now())).toBeLessThan(5_000)
    }
    const after = await timeCalls()
    const grew = after.map((calls, index) => calls - (before[index] ?? 0))
    expect(grew.sort((a, b) => a - b)).toEqual([0, 0, 20])
  })

  it('sessions spread over the masters, each session in one slot', async () => {
    const client = clusterClient()
    const prefix = randomPrefix()
    const store = clusterStore(client, prefix)
    for (let index = 0; index < 30; index++) {
      await store.compareAndSet(`session-${index}`, 'x', { expectedVersion: 0, ttlMs: 60_000 })
    }
    const perMaster = await Promise.all(
      client.nodes('master').map((node) => node.keys(`${prefix}*`)),
    )
    expect(perMaster.filter((keys) => keys.length > 0)).toHaveLength(3)
    expect(perMaster.flat()).toHaveLength(30)
  })

  it("a session id starting with '}' (which would empty a hash tag built from it) lives in one slot: login, refresh across instances, logout", async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const [a, b] = Array.from({ length: 2 }, () =>
      managerFor(bolt, createFetchTransport(), { store: clusterStore(clusterClient(), prefix) }),
    )
    if (a === undefined || b === undefined) throw new Error('no manager')
    const sessionId = '}evil{id'
    await logIn(bolt, a, sessionId)
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 100 })
    const [first, second] = await Promise.all([
      a.getAccessToken(sessionId),
      b.getAccessToken(sessionId),
    ])
    expect(first).toBe(second)
    expect((await b.getStatus(sessionId)).state).toBe('viewOnly')
    await b.logout(sessionId)
    expect((await a.getStatus(sessionId)).state).toBe('unauthenticated')
    expect([...a.errors, ...b.errors]).toEqual([])
    expect(bolt.stats).toEqual(expect.objectContaining({ refreshes: 1, reuseDetected: 0 }))
  })

  it('stampede: 4 managers with their own cluster clients × 50 callers on an expired session → one refresh', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const managers = Array.from({ length: 4 }, () =>
      managerFor(bolt, createFetchTransport(), { store: clusterStore(clusterClient(), prefix) }),
    )
    const [first] = managers
    if (first === undefined) throw new Error('no manager')
    await logIn(bolt, first, 'shopper-on-cluster')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 150 })

    const results = await Promise.all(
      managers.flatMap((manager) =>
        Array.from({ length: 50 }, () => manager.getAccessToken('shopper-on-cluster')),
      ),
    )

    expect(results).toHaveLength(200)
    expect(new Set(results).size).toBe(1)
    expect(bolt.requests.filter((request) => request.grantType === 'refresh_token')).toHaveLength(1)
    expect(bolt.stats).toEqual(
      expect.objectContaining({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 }),
    )
    expect(
      managers.filter((m) => m.transitions.some((t) => t.event === 'REFRESH_STARTED')),
    ).toHaveLength(1)
    expect((await first.getStatus('shopper-on-cluster')).state).toBe('viewOnly')
  }, 30_000)
})
