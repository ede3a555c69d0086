// What Upstash tests import: the REST test server (upstash-server.ts) on this run's Redis, and
// real `@upstash/redis` clients of it. Suites use `describeRedis` (support/redis.ts): without
// Redis they skip loudly, and under CI they fail.
import { Redis, type RedisConfigNodejs } from '@upstash/redis'
import { afterAll, beforeAll } from 'vitest'
import { redisUrl } from './redis.js'
import { startUpstashServer, type UpstashTestServer } from './upstash-server.js'

/**
 * Starts a test server for the current file or `describe` (`beforeAll`), closed after it;
 * call the returned function inside tests to get it.
 */
export function useUpstashServer(): () => UpstashTestServer {
  let server: UpstashTestServer | undefined
  beforeAll(async () => {
    if (redisUrl === null) throw new Error('useUpstashServer() needs Redis (use describeRedis)')
    server = await startUpstashServer({ redisUrl })
  })
  afterAll(async () => {
    await server?.close()
  })
  return () => {
    if (server === undefined) throw new Error('the Upstash test server is not started yet')
    return server
  }
}

/**
 * A real `@upstash/redis` client of `server`, with the client's defaults (automatic JSON
 * deserialization, base64 responses, auto-pipelining) unless `options` change them; no
 * telemetry, and one quick retry so that a failing test fails fast.
 */
export function upstashClient(
  server: UpstashTestServer,
  options: Partial<RedisConfigNodejs> = {},
): Redis {
  return new Redis({
    url: server.url,
    token: server.token,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 20 },
    ...options,
  })
}
