/** The Redis store on ioredis, for the runtimes that have TCP sockets (Node and Bun). */
import { createRedisStore, type RedisStore } from 'bolt-token-lifecycle/redis'
import { Redis } from 'ioredis'

/**
 * A Redis store under a prefix of its own, whose `close()` also quits the client (the
 * store closes only the connection it opened itself).
 */
export async function openRedisStore(url: string): Promise<RedisStore> {
  const redis = new Redis(url, { commandTimeout: 2_000, maxRetriesPerRequest: 1 })
  const store = createRedisStore(redis, { prefix: `bolt-runtimes:${crypto.randomUUID()}:` })
  return {
    ...store,
    async close() {
      await store.close()
      await redis.quit()
    },
  }
}
