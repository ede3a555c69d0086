/**
 * The Upstash REST test server (test/support/upstash-server.ts, test support) in front of the
 * matrix's Redis, in this Node process: the `upstash` scenarios' `@upstash/redis` clients reach
 * it on loopback, workerd's through its "local" network service.
 */
import { startUpstashServer, type UpstashTestServer } from '../../test/support/upstash-server.js'
import type { MatrixRedis } from './redis.js'

/** Starts the server on `redis`, or says why there is none (then those runs fail, naming it). */
export async function startUpstash(
  redis: MatrixRedis | { missing: string },
  log: (line: string) => void,
): Promise<UpstashTestServer | { missing: string }> {
  if ('missing' in redis) return { missing: `no Redis behind it: ${redis.missing}` }
  const server = await startUpstashServer({ redisUrl: redis.url })
  log(`upstash: REST test server ${server.url} (in this Node process) on that Redis`)
  return server
}
