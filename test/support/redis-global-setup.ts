// Vitest globalSetup: decides once per run which Redis the tests use (DESIGN.md §8).
//
//   REDIS_URL set            → PING it (fail if it does not answer) and use it;
//   redis-server on PATH     → start one on a free loopback port, stop it in teardown;
//   neither                  → skip the Redis suites with a loud notice, or fail when CI is set.
//
// Test files read the decision with `inject('redisUrl')` / `inject('redisServerPath')` through
// test/support/redis.ts and test/support/redis-cluster.ts. The process helpers below are also used
// by redis-cluster.ts (they import nothing from vitest at runtime).
import type { TestProject } from 'vitest/node'
import { findOnPath, isCI, pingRedis, redactUrl, startRedisServer } from './redis-server.js'

export {
  findOnPath,
  freePort,
  isCI,
  pingRedis,
  type RedisServerProcess,
  startRedisServer,
  waitForRedis,
} from './redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis every Redis test uses, or null when there is none (the suites skip). */
    redisUrl: string | null
    /** `redis-server` found on PATH (for tests that start their own cluster), or null. */
    redisServerPath: string | null
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redisServerPath = findOnPath('redis-server')
  project.provide('redisServerPath', redisServerPath)

  const configured = process.env.REDIS_URL
  if (configured !== undefined && configured !== '') {
    try {
      await pingRedis(configured, 2000)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(
        `REDIS_URL=${redactUrl(configured)} does not answer PING within 2 s (${reason}). ` +
          'Start that Redis, fix REDIS_URL, or unset it to let the tests start their own redis-server.',
      )
    }
    process.stderr.write(`[redis] tests use REDIS_URL=${redactUrl(configured)}\n`)
    project.provide('redisUrl', configured)
    return async () => {}
  }

  if (redisServerPath !== null) {
    const server = await startRedisServer({ serverPath: redisServerPath })
    process.stderr.write(`[redis] tests use their own ${redisServerPath} at ${server.url}\n`)
    project.provide('redisUrl', server.url)
    return () => server.stop()
  }

  if (isCI()) {
    throw new Error(
      'Redis is required under CI (CI is set) but there is no REDIS_URL and no redis-server on ' +
        'PATH. Install it (`apt-get install -y redis-server` on Debian/Ubuntu, `brew install redis` ' +
        'on macOS) or set REDIS_URL=redis://host:port to an existing Redis.',
    )
  }
  process.stderr.write(
    loudNotice([
      'REDIS TESTS SKIPPED: no REDIS_URL and no redis-server on PATH.',
      'Every Redis suite (the Redis store, multi-process races, cluster) is skipped.',
      'To run them, either:',
      '  - install redis-server (Debian/Ubuntu: apt-get install -y redis-server;',
      '    macOS: brew install redis): the tests start their own on a free port; or',
      '  - point them at a Redis: REDIS_URL=redis://127.0.0.1:6379 npm test',
      'Under CI (CI set) this is an error, not a skip.',
    ]),
  )
  project.provide('redisUrl', null)
  return async () => {}
}

function loudNotice(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length)) + 8
  const bar = '!'.repeat(width)
  const body = lines.map((line) => `!!! ${line.padEnd(width - 8)} !!!`)
  return ['', bar, bar, ...body, bar, bar, ''].join('\n')
}
