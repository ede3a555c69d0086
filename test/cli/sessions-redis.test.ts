// The admin command on real Redis: the shared suite (sessions-suite.ts), each test on a prefix
// of its own.

import { afterEach } from 'vitest'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { createTestRedis, describeRedis, randomPrefix, redisUrl } from '../support/redis.js'
import { reencryptSuite } from './sessions-reencrypt-suite.js'
import { type CommandTarget, sessionsCommandSuite } from './sessions-suite.js'

const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function openTarget(): Promise<CommandTarget> {
  const client = createTestRedis()
  const prefix = randomPrefix()
  const store = createRedisStore(client, { prefix })
  stores.push(store)
  const url = new URL(redisUrl ?? '')
  return {
    store,
    argv: ['--redis', url.toString(), '--prefix', prefix],
    description: `Redis at ${url.hostname}:${url.port || '6379'}${url.pathname.length > 1 ? ` (db ${url.pathname.slice(1)})` : ''}, prefix "${prefix}"`,
    ttlMs: async (key) => {
      const ttl = await client.pttl(`${prefix}{${key}}`)
      return ttl >= 0 ? ttl : undefined
    },
    unreachable: {
      argv: ['--redis', 'redis://127.0.0.1:1', '--prefix', prefix],
      says: 'Could not reach Redis at 127.0.0.1:1 (',
    },
  }
}

describeRedis('bolt-token-lifecycle sessions on Redis', () => {
  sessionsCommandSuite(openTarget)
  reencryptSuite(openTarget)
})
