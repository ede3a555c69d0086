// The admin command on a 3-master Redis Cluster of real redis-server processes: it finds the
// cluster from one node's address, scans every master in turn (sessions spread over all of
// them by their hash tags), writes through the cluster, and resumes a scan across masters.
import { join } from 'node:path'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { startEmulator, storeKey } from '../support/harness.js'
import { randomPrefix } from '../support/redis.js'
import {
  describeRedisCluster,
  startRedisCluster,
  type TestRedisCluster,
} from '../support/redis-cluster.js'
import { envFor, managerOn, ring, runInProcess, scratchDir } from './sessions-helpers.js'

describeRedisCluster('bolt-token-lifecycle sessions on a 3-master Redis Cluster', () => {
  let cluster: TestRedisCluster
  let client: Cluster
  const stores: RedisStore[] = []

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
    client = new Cluster(cluster.nodes, { redisOptions: { commandTimeout: 2_000 } })
  }, 30_000)
  afterAll(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()))
    await client?.quit().catch(() => client.disconnect())
    await cluster?.stop()
  })

  it('stats and reencrypt (stopped at --limit, resumed) see every session on every master, each rewritten once', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const store = createRedisStore(client, { prefix })
    stores.push(store)
    const tokens = managerOn(bolt, store, ring(['k1'], 'k1'))
    const ids = Array.from({ length: 30 }, (_, index) => `clustered-${index}`)
    for (const id of ids) await tokens.exchangeCode(id, { code: bolt.login().code })
    // The cluster is this file's own: every key on it is one of these sessions.
    const perMaster = await Promise.all(client.nodes('master').map((node) => node.dbsize()))
    expect(perMaster.filter((count) => count > 0).length).toBe(3)
    const versions = new Map(
      await Promise.all(
        ids.map(async (id) => [id, (await store.get(storeKey(bolt, id)))?.version] as const),
      ),
    )

    const seed = cluster.nodes[1]
    const argv = ['--redis', `redis://${seed?.host}:${seed?.port}`, '--prefix', prefix, '--json']
    const env = envFor(bolt, ring(['k1', 'k2'], 'k2'))
    const stats = await runInProcess(['stats', ...argv, '--batch', '4'], { env, clock: bolt.now })
    const counted = JSON.parse(stats.stdout)
    expect(counted.store).toBe(
      `Redis Cluster via ${seed?.host}:${seed?.port} (3 masters), prefix "${prefix}"`,
    )
    expect([counted.records, counted.byState.fullyScoped, counted.byKeyId]).toEqual([
      30,
      30,
      { k1: 30 },
    ])

    const checkpoint = join(scratchDir(), 'checkpoint.json')
    const reencrypt = ['reencrypt', ...argv, '--batch', '4', '--checkpoint', checkpoint]
    const first = await runInProcess([...reencrypt, '--limit', '12'], { env })
    expect(first.exitCode).toBe(5)
    let last = JSON.parse(first.stdout)
    for (let runs = 0; runs < 30 && !last.complete; runs++) {
      last = JSON.parse(
        (await runInProcess([...reencrypt, '--resume', '--limit', '12'], { env })).stdout,
      )
    }
    expect(last.complete).toBe(true)
    expect(last.counts.rewritten).toBe(30)
    for (const id of ids) {
      const record = await store.get(storeKey(bolt, id))
      expect([id, record?.value.slice(0, 8), record?.version]).toEqual([
        id,
        'enc2.k2.',
        (versions.get(id) ?? 0) + 1,
      ])
    }
  })
})
