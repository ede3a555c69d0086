/**
 * The `replicas` option on a Redis Cluster: `WAIT` must reach the node that owns the session's
 * key (it counts that node's replicas, for that connection's writes). A 3-master cluster where
 * only the first master has a replica: writes to its slots are confirmed, writes to the other
 * masters' slots are not. A `WAIT` sent anywhere else would get these the wrong way round.
 */
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisStore } from '../../adapters/storage/redis.js'
import { randomPrefix } from '../support/redis.js'
import {
  describeRedisCluster,
  redisServerPath,
  startRedisCluster,
  type TestRedisCluster,
} from '../support/redis-cluster.js'
import { freePort, type RedisServerProcess, startRedisServer } from '../support/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describeRedisCluster('the replicas option on a Redis Cluster', () => {
  let cluster: TestRedisCluster
  let replica: RedisServerProcess | undefined
  const admins: Redis[] = []
  const admin = (port: number) => {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
    client.on('error', () => {})
    admins.push(client)
    return client
  }

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
    const [first] = cluster.nodes
    if (first === undefined || redisServerPath === null) throw new Error('no cluster')
    let busPort = 0
    replica = await startRedisServer({
      serverPath: redisServerPath,
      extraArgs: async (port, dir) => {
        busPort = await freePort()
        while (busPort === port) busPort = await freePort()
        return [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `${dir}/nodes-${port}.conf`,
          '--cluster-node-timeout',
          '2000',
          '--cluster-port',
          String(busPort),
          '--cluster-announce-ip',
          '127.0.0.1',
        ]
      },
    })
    const master = admin(first.port)
    const mine = admin(replica.port)
    await master.call('CLUSTER', 'MEET', '127.0.0.1', replica.port, busPort)
    const masterId = String(await master.call('CLUSTER', 'MYID'))
    for (const deadline = Date.now() + 15_000; ; await sleep(100)) {
      const ok = await mine.call('CLUSTER', 'REPLICATE', masterId).then(
        () => true,
        () => false,
      )
      if (ok) break
      if (Date.now() > deadline) throw new Error('the replica could not join')
    }
    for (const deadline = Date.now() + 15_000; ; await sleep(50)) {
      if (/master_link_status:up/.test(await mine.info('replication'))) break
      if (Date.now() > deadline) throw new Error('the replica did not sync')
    }
  }, 40_000)
  afterAll(async () => {
    for (const client of admins) client.disconnect()
    await replica?.stop()
    await cluster?.stop()
  })

  it('confirms writes to the replicated master only: WAIT went to the node of each key', async () => {
    const client = new Cluster(cluster.nodes, { redisOptions: { commandTimeout: 5_000 } })
    client.on('error', () => {})
    const store = createRedisStore(client, {
      prefix: randomPrefix(),
      replicas: 1,
      // Long enough for an in-sync replica to acknowledge on a busy machine (CI's was not, at
      // 100 ms); the unreplicated masters' writes wait it out, and are not confirmed.
      replicaTimeoutMs: 1_000,
    })
    try {
      const [first] = cluster.nodes
      const master = admin(first?.port ?? 0)
      const keys = Array.from({ length: 12 }, (_, i) => `session-${i}`)
      const outcomes = await Promise.all(
        keys.map(async (key) => {
          // The store's key is `{prefix}{key}`: its hash tag, and so its slot, is the key's.
          const slot = Number(await master.call('CLUSTER', 'KEYSLOT', key))
          const onReplicated = slot < Math.floor(16384 / 3)
          const confirmed = await store.compareAndSet(key, 'v', { expectedVersion: 0 }).then(
            () => true,
            (error: Error) => {
              expect(error.message).toMatch(/0 of 1 replica/)
              return false
            },
          )
          return { onReplicated, confirmed }
        }),
      )
      expect(outcomes.some(({ onReplicated }) => onReplicated)).toBe(true)
      expect(outcomes.some(({ onReplicated }) => !onReplicated)).toBe(true)
      for (const { onReplicated, confirmed } of outcomes) expect(confirmed).toBe(onReplicated)
    } finally {
      await store.close()
      client.disconnect()
    }
  })
})
