import { createRedisStore } from '../../adapters/storage/redis.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { runTokenStoreConformance } from './token-store-conformance.js'

describeRedis('Redis store (standalone)', () => {
  runTokenStoreConformance(
    'Redis store',
    async () => {
      const client = createTestRedis()
      const store = createRedisStore(client, { prefix: randomPrefix() })
      const sibling = createRedisStore(client, { prefix: randomPrefix() })
      return {
        store,
        sibling,
        elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        close: async () => {
          await Promise.all([store.close(), sibling.close()])
        },
      }
    },
    'promise',
  )
})
