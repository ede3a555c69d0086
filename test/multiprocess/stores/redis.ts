// The Redis store of a worker process: its own ioredis client on the prefix every instance shares.
import { Redis } from 'ioredis'
import { createRedisStore } from '../../../adapters/storage/redis.js'
import type { OpenedWorkerStore } from './index.js'

/** The options of {@link openStore} (they cross the process boundary as JSON). */
export interface RedisWorkerStoreOptions {
  url: string
  /** The Redis key prefix every instance shares. */
  prefix: string
  /** The Redis client's `commandTimeout`. */
  commandTimeoutMs: number
}

/** Connects a client of its own, then builds the store on the shared prefix. */
export async function openStore(options: RedisWorkerStoreOptions): Promise<OpenedWorkerStore> {
  const client = new Redis(options.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs,
  })
  client.on('error', () => {
    // surfaced by the commands' rejections (STORE_UNAVAILABLE)
  })
  await client.connect()
  const store = createRedisStore(client, { prefix: options.prefix })
  return {
    store,
    close: async () => {
      await store.close()
      await client.quit()
    },
  }
}
