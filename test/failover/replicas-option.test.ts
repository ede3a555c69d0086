/**
 * The Redis store's `replicas` option on the run's Redis, which has no replica: every write is
 * unconfirmed. What the store answers, what it never says, and what the manager makes of it.
 */
import { expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createRedisStore } from '../../adapters/storage/redis.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { rejection } from '../support/rejection.js'

const SECRET = 'refresh-token-that-must-never-appear'

describeRedis('the Redis store with replicas, on a Redis without replicas', () => {
  it('a write that landed unconfirmed throws, naming the count and never the value; a fenced one answers as ever', async () => {
    const client = createTestRedis()
    const store = createRedisStore(client, {
      prefix: randomPrefix(),
      replicas: 1,
      replicaTimeoutMs: 50,
    })
    try {
      const error = await rejection(store.compareAndSet('k', SECRET, { expectedVersion: 0 }))
      expect(error.message).toMatch(/0 of 1 replica\(s\) acknowledged it within 50 ms/)
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(SECRET)
      expect(String(error.cause ?? '')).not.toContain(SECRET)
      // WAIT is not a transaction: the write stands on the primary.
      const stored = await store.get('k')
      expect(stored?.value).toBe(SECRET)
      // Fenced: nothing written, nothing to confirm (its WAIT, in the same pipeline, still
      // waits for the connection's earlier write, and its answer is ignored).
      expect(await store.compareAndSet('k', 'other', { expectedVersion: 1 })).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('writes go through connections of the store (WAIT blocks them), closed by close()', async () => {
    const client = createTestRedis()
    const names = async () => {
      const list = (await client.call('CLIENT', 'LIST')) as string
      return list.split('\n').filter((line) => line.includes('cmd=')).length
    }
    const before = await names()
    const store = createRedisStore(client, {
      prefix: randomPrefix(),
      replicas: 1,
      replicaTimeoutMs: 200,
    })
    // Three writes at once: each waits 200 ms on a connection of its own, and reads on the
    // client meanwhile answer at once.
    const writes = ['a', 'b', 'c'].map((key) =>
      store.compareAndSet(key, 'v', { expectedVersion: 0 }).catch(() => 'unconfirmed'),
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const readStarted = performance.now()
    await store.get('a')
    expect(performance.now() - readStarted).toBeLessThan(100)
    expect(await Promise.all(writes)).toEqual(['unconfirmed', 'unconfirmed', 'unconfirmed'])
    expect(await names()).toBe(before + 3)
    await store.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await names()).toBe(before)
  })

  it('rejects replicas and replicaTimeoutMs that are not whole numbers in range', () => {
    const client = createTestRedis()
    expect(() => createRedisStore(client, { replicas: -1 })).toThrow(/replicas/)
    expect(() => createRedisStore(client, { replicas: 1.5 })).toThrow(/replicas/)
    expect(() => createRedisStore(client, { replicas: 1, replicaTimeoutMs: 0 })).toThrow(
      /replicaTimeoutMs/,
    )
  })

  it('through the manager: an unconfirmed lock write fails the caller with STORE_UNAVAILABLE, and nothing is sent to Bolt', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const plain = createRedisStore(createTestRedis(), { prefix })
    const confirming = createRedisStore(createTestRedis(), {
      prefix,
      replicas: 1,
      replicaTimeoutMs: 50,
    })
    try {
      const http = createFetchTransport()
      await managerFor(bolt, http, { store: plain }).exchangeCode('shopper', {
        code: bolt.login().code,
      })
      bolt.advanceClock(PAST_EXPIRY_MS)
      const tokens = managerFor(bolt, http, { store: confirming })
      const error = await rejection(tokens.getAccessToken('shopper'))
      expect(error.code).toBe('STORE_UNAVAILABLE')
      expect(bolt.stats.refreshes).toBe(0)
    } finally {
      await Promise.all([plain.close(), confirming.close()])
    }
  })
})
