/**
 * Which Redis the Redis metrics run on: `REDIS_URL`, else a `redis-server` of our own from
 * PATH on a free loopback port, else none (the Redis metrics are then not measured).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { findOnPath, pingRedis, redactUrl, startRedisServer } from '../test/support/redis-server.js'

/** A Redis to benchmark. */
export interface RedisTarget {
  url: string
  /** How it was found, for the report (no password). */
  origin: string
  /** The server's version, from `INFO server`. */
  version: string
  /** This run's key prefix (`bench:<12 hex>:`); every key under it is deleted by `stop()`. */
  prefix: string
  /** Opens a client for a section; closed by {@link RedisTarget.stop}. */
  client(): Redis
  /** Deletes this run's keys, closes every client and stops our own server, if we started one. */
  stop(): Promise<void>
}

/** Finds a Redis, or resolves `null` with the reason printed. */
export async function resolveRedis(): Promise<{ target: RedisTarget | null; why: string }> {
  const configured = process.env.REDIS_URL
  let url: string
  let origin: string
  let stopServer = async () => {}
  if (configured !== undefined && configured !== '') {
    try {
      await pingRedis(configured, 2_000)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return {
        target: null,
        why: `REDIS_URL=${redactUrl(configured)} does not answer PING within 2 s (${reason})`,
      }
    }
    url = configured
    origin = `REDIS_URL=${redactUrl(configured)}`
  } else {
    const serverPath = findOnPath('redis-server')
    if (serverPath === null) {
      return {
        target: null,
        why: 'REDIS_URL is not set and there is no redis-server on PATH (install redis-server, or set REDIS_URL=redis://…)',
      }
    }
    const server = await startRedisServer({ serverPath })
    url = server.url
    origin = `own redis-server (${serverPath}) on ${server.url}`
    stopServer = () => server.stop()
  }
  const clients: Redis[] = []
  const client = () => {
    // Long command timeout: a noisy machine must not turn into false failures.
    const created = new Redis(url, { commandTimeout: 10_000, maxRetriesPerRequest: 1 })
    created.on('error', () => {})
    clients.push(created)
    return created
  }
  const admin = client()
  const info = await admin.info('server')
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  const prefix = `bench:${randomBytes(6).toString('hex')}:`
  let stopping: Promise<void> | undefined
  return {
    target: {
      url,
      origin,
      version,
      prefix,
      client,
      stop() {
        stopping ??= (async () => {
          try {
            const deleted = await deleteKeys(admin, prefix)
            console.log(`  redis: deleted ${deleted} key(s) under ${prefix}`)
          } catch (error) {
            console.error(`  redis: could not delete the keys under ${prefix}: ${String(error)}`)
          }
          for (const open of clients) open.disconnect()
          await stopServer()
        })()
        return stopping
      },
    },
    why: '',
  }
}

/** Deletes every key under `prefix` (SCAN + UNLINK), so that a shared Redis is left as it was. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000)
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}
