// What Redis tests import. The Redis itself was chosen once per run by redis-global-setup.ts:
// REDIS_URL, else a redis-server of our own on a free port, else none (the suites skip loudly;
// under CI the run has already failed). Never ioredis-mock: real Redis only.
import { randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, describe, inject } from 'vitest'
import { isCI } from './redis-global-setup.js'

/** The Redis this run uses, or null when there is none (then `describeRedis` suites skip). */
export const redisUrl: string | null = inject('redisUrl')

/** `describe(name, body)` when Redis is available; otherwise a loudly skipped `describe.skip`. */
export function describeRedis(name: string, body: () => void): void {
  if (redisUrl !== null) {
    describe(name, body)
    return
  }
  if (isCI()) {
    // The global setup fails first under CI; this guards a run that bypassed it.
    throw new Error(`Redis suite "${name}" cannot run: no Redis, and CI is set`)
  }
  console.warn(
    `!!! REDIS SUITE SKIPPED: "${name}" (no REDIS_URL and no redis-server on PATH; ` +
      'install redis-server or set REDIS_URL to run it)',
  )
  describe.skip(
    `${name} (skipped: no Redis to test against: neither REDIS_URL nor a redis-server on PATH; set REDIS_URL or install redis-server)`,
    body,
  )
}

const clients: Redis[] = []

// Registered once when a test file first imports this module (vitest isolates modules per file):
// every client this file created is closed after the file's tests.
afterAll(async () => {
  await Promise.allSettled(clients.splice(0).map(closeClient))
})

async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), 2000)
      }),
    ])
  } catch {
    client.disconnect()
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A new ioredis client on `redisUrl` (connecting at once, one retry per command, 2 s command
 * timeout; `options` override these). It is closed after the current test file. Replies use
 * ioredis' default ("legacy") mapping, so `replyMapping` is not an option here.
 */
export function createTestRedis(options: Omit<RedisOptions, 'replyMapping'> = {}): Redis {
  if (redisUrl === null) {
    throw new Error('createTestRedis(): no Redis in this run (use describeRedis for the suite)')
  }
  const client = new Redis(redisUrl, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    ...options,
  })
  clients.push(client)
  return client
}

/** A key prefix no other test file (or run) shares, e.g. `test:3f9a1c2b7d4e:`. */
export function randomPrefix(): string {
  return `test:${randomBytes(6).toString('hex')}:`
}

/** A session's raw record in the Redis store, `<version>:<record>` (see adapters/storage/redis.ts). */
export async function rawSession(
  client: Redis,
  key: string,
): Promise<{ version: string; value: string } | undefined> {
  const raw = await client.get(key)
  if (raw === null) return undefined
  const colon = raw.indexOf(':')
  return { version: raw.slice(0, colon), value: raw.slice(colon + 1) }
}
