// Self-test of the Redis test infrastructure: the run's Redis and a throwaway cluster.
import { connect } from 'node:net'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestRedis, describeRedis, randomPrefix, redisUrl } from './redis.js'
import { describeRedisCluster, startRedisCluster, type TestRedisCluster } from './redis-cluster.js'

describeRedis('the Redis of this run', () => {
  it('answers PING', async () => {
    expect(redisUrl).toMatch(/^rediss?:\/\//)
    expect(await createTestRedis().ping()).toBe('PONG')
  })

  it('round-trips SET/GET under a prefix no other file shares', async () => {
    const prefix = randomPrefix()
    expect(prefix).toMatch(/^test:[0-9a-f]+:$/)
    expect(randomPrefix()).not.toBe(prefix)
    const redis = createTestRedis()
    await redis.set(`${prefix}greeting`, 'hello', 'PX', 60_000)
    expect(await redis.get(`${prefix}greeting`)).toBe('hello')
    await redis.del(`${prefix}greeting`)
  })
})

/** Resolves true when nothing accepts connections on 127.0.0.1:`port`. */
function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

describeRedisCluster('a throwaway Redis Cluster', () => {
  let started: TestRedisCluster
  let cluster: Cluster

  beforeAll(async () => {
    started = await startRedisCluster({ masters: 3 })
    cluster = new Cluster(started.nodes, { shardedSubscribers: true })
  })

  afterAll(async () => {
    cluster?.disconnect()
    await started?.stop()
  })

  it('starts three masters sharing the slots evenly', () => {
    expect(started.nodes).toHaveLength(3)
    expect(new Set(started.nodes.map((node) => node.port)).size).toBe(3)
  })

  it('puts keys with different hash tags on different masters', async () => {
    const prefix = randomPrefix()
    const keys = ['a', 'b', 'c'].map((tag) => `${prefix}{${tag}}`)
    for (const key of keys) await cluster.set(key, key)
    for (const key of keys) expect(await cluster.get(key)).toBe(key)

    // {a} → 15495, {b} → 3300, {c} → 7365: one in each third of the 16384 slots.
    const slots = await Promise.all(
      keys.map(async (key) => Number(await cluster.call('CLUSTER', 'KEYSLOT', key))),
    )
    const owners = slots.map((slot) => started.nodes[Math.floor((slot * 3) / 16384)]?.port)
    expect(new Set(owners).size).toBe(3)

    const masters = cluster.nodes('master')
    expect(masters).toHaveLength(3)
    const held = await Promise.all(
      masters.map(async (node) => ({
        port: node.options.port,
        keys: await node.keys(`${prefix}*`),
      })),
    )
    for (const { port, keys: local } of held) {
      expect(local).toHaveLength(1)
      const key = local[0] ?? ''
      expect(owners[keys.indexOf(key)]).toBe(port)
    }
  })

  it('delivers an SPUBLISH on chan{a} to an SSUBSCRIBE', async () => {
    const received = new Promise<[string, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no smessage within 5 s')), 5000)
      cluster.once('smessage', (channel: string, message: string) => {
        clearTimeout(timer)
        resolve([channel, message])
      })
    })
    await cluster.ssubscribe('chan{a}')
    expect(await cluster.spublish('chan{a}', 'hello')).toBe(1)
    expect(await received).toEqual(['chan{a}', 'hello'])
    await cluster.sunsubscribe('chan{a}')
  })

  it('stops every node and frees their ports', async () => {
    cluster.disconnect()
    await started.stop()
    for (const { port } of started.nodes) expect(await portClosed(port)).toBe(true)
    await started.stop() // idempotent
  })
})
