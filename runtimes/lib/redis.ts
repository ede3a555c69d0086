/**
 * The Redis the Redis-store runs use: `REDIS_URL` when set, else a `redis-server` from PATH
 * started on a free loopback port (the test suite's helpers), stopped at the end.
 */
import { Redis } from 'ioredis'
import { findOnPath, redactUrl, startRedisServer } from '../../test/support/redis-server.js'

/** A Redis to run against. */
export interface MatrixRedis {
  url: string
  /** E.g. `7.0.15`. */
  version: string
  /** E.g. `Redis 7.0.15 (redis-server on port 40123)`. */
  description: string
  stop(): Promise<void>
}

async function serverVersion(url: string): Promise<string> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
  })
  try {
    await client.connect()
    const info = await client.info('server')
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown version'
  } finally {
    client.disconnect()
  }
}

/** The Redis, or why there is none (then the Redis runs fail, naming the reason). */
export async function acquireRedis(): Promise<MatrixRedis | { missing: string }> {
  const fromEnv = process.env.REDIS_URL
  if (fromEnv !== undefined && fromEnv !== '') {
    let version: string
    try {
      version = await serverVersion(fromEnv)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return { missing: `REDIS_URL=${redactUrl(fromEnv)} does not answer: ${reason}` }
    }
    return {
      url: fromEnv,
      version,
      description: `Redis ${version} (REDIS_URL=${redactUrl(fromEnv)})`,
      stop: async () => {},
    }
  }
  if (findOnPath('redis-server') === null) {
    return { missing: 'no REDIS_URL and no redis-server on PATH (apt-get install redis-server)' }
  }
  const server = await startRedisServer()
  const version = await serverVersion(server.url)
  return {
    url: server.url,
    version,
    description: `Redis ${version} (redis-server on port ${server.port})`,
    stop: () => server.stop(),
  }
}
