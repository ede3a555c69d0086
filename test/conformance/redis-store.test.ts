import { describe, expect, it } from 'vitest'
import { createRedisStore } from '../../adapters/storage/redis.js'
import { testTokenStore } from '../../src/testing/index.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'

describeRedis('Redis store (standalone)', () => {
  testTokenStore(
    { describe, it, expect },
    'Redis store',
    async () => {
      const prefix = randomPrefix()
      const client = createTestRedis()
      // Another client on the same prefix: a second process, for the single-flight checks.
      const stores = [
        createRedisStore(client, { prefix }),
        createRedisStore(client, { prefix: randomPrefix() }),
        createRedisStore(createTestRedis(), { prefix }),
      ] as const
      const [store, sibling, peer] = stores
      return {
        store,
        sibling,
        peer,
        elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        close: async () => {
          await Promise.all(stores.map((each) => each.close()))
        },
      }
    },
    { answers: 'promise' },
  )
})
