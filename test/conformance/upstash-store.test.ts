import { describe, expect, it } from 'vitest'
import { createUpstashStore } from '../../adapters/storage/upstash.js'
import { testTokenStore } from '../../src/testing/index.js'
import { describeRedis, randomPrefix } from '../support/redis.js'
import { upstashClient, useUpstashServer } from '../support/upstash.js'

describeRedis('Upstash store (@upstash/redis over the REST test server, on real Redis)', () => {
  const server = useUpstashServer()
  testTokenStore(
    { describe, it, expect },
    'Upstash store',
    async () => {
      const prefix = randomPrefix()
      const client = upstashClient(server())
      // Another client on the same prefix: a second process, for the single-flight checks.
      const stores = [
        createUpstashStore(client, { prefix }),
        createUpstashStore(client, { prefix: randomPrefix() }),
        createUpstashStore(upstashClient(server()), { prefix }),
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
