// Issue 16, items 2 and 4, on real redis-servers this file starts: the Redis store warns once
// when the server may evict live sessions (and once when it cannot check), shows what eviction
// and a full `noeviction` server do to sessions, warns once about a client without
// commandTimeout, and fails fast against an unreachable Redis naming its host and port.
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import {
  createRedisStore,
  type RedisStore,
  type RedisStoreWarning,
} from '../../adapters/storage/redis.js'
import { itWithOwnRedisServer } from '../faults/redis-fault-kit.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { randomPrefix } from '../support/redis.js'
import { describeRedisCluster, startRedisCluster } from '../support/redis-cluster.js'
import {
  freePort,
  type RedisServerProcess,
  startRedisServer,
} from '../support/redis-global-setup.js'
import { rejection } from '../support/rejection.js'

const servers: RedisServerProcess[] = []
const clients: Redis[] = []
const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.allSettled(stores.splice(0).map((store) => store.close()))
  for (const client of clients.splice(0)) client.disconnect()
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()))
})

/** A redis-server of this test's own, started with `args` (e.g. a maxmemory policy). */
async function ownServer(...args: string[]): Promise<RedisServerProcess> {
  const server = await startRedisServer({ extraArgs: () => args })
  servers.push(server)
  return server
}

/** A client disconnected after the test; errors surface through the commands. */
function client(url: string, options: Omit<RedisOptions, 'replyMapping'> = {}): Redis {
  const redis = new Redis(url, { commandTimeout: 2_000, maxRetriesPerRequest: 1, ...options })
  redis.on('error', () => {})
  clients.push(redis)
  return redis
}

/** A store on `redis` whose warnings land in the returned array. */
function watchedStore(redis: Redis): { store: RedisStore; warnings: RedisStoreWarning[] } {
  const warnings: RedisStoreWarning[] = []
  const store = createRedisStore(redis, {
    prefix: randomPrefix(),
    onWarning: (warning) => warnings.push(warning),
  })
  stores.push(store)
  return { store, warnings }
}

/**
 * Resolves once the store's eviction check has answered: it was sent on the client's
 * connection at the store's first use, so a PING sent after it is answered after it.
 */
async function checkAnswered(redis: Redis): Promise<void> {
  await redis.ping()
  await new Promise((resolve) => setImmediate(resolve))
}

/** Lowers `maxmemory` to what the server uses now plus `headroom` bytes. */
async function shrinkMemory(admin: Redis, headroom: number): Promise<void> {
  const info = await admin.info('memory')
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1])
  await admin.config('SET', 'maxmemory', String(used + headroom))
}

/**
 * Writes 16 KiB keys (with a TTL longer than a session's) until `done()` holds or Redis
 * refuses a write: 'done', or the refusal's message.
 */
async function fill(admin: Redis, done: () => Promise<boolean>): Promise<string> {
  const blob = 'x'.repeat(16_384)
  for (let index = 0; index < 4_000; index++) {
    try {
      await admin.set(`filler:${index}`, blob, 'EX', 60 * 86_400)
    } catch (error) {
      return (error as Error).message
    }
    if (index % 8 === 0 && (await done())) return 'done'
  }
  return 'neither'
}

const evictionLine = (port: number, policy: string, bytes: number) =>
  `bolt-token-lifecycle: Redis at 127.0.0.1:${port} may evict live sessions: its maxmemory-policy is ${policy} with maxmemory ${bytes} bytes, and every session key has a TTL, so when memory runs out Redis deletes sessions and logs their shoppers out. Fix: set maxmemory-policy noeviction (a full Redis then fails writes with STORE_UNAVAILABLE and loses nothing), or keep sessions on a Redis instance of their own set to noeviction.`

const uncheckedLine = (port: number, code: string) =>
  `bolt-token-lifecycle: could not check whether Redis at 127.0.0.1:${port} may evict live sessions (CONFIG GET was refused: ${code}). Make sure its maxmemory-policy is noeviction; an evicting policy logs shoppers out when memory runs short.`

const noTimeoutLine = (port: number) =>
  `bolt-token-lifecycle: the ioredis client for Redis at 127.0.0.1:${port} has no commandTimeout, so while Redis is unreachable every call waits (ioredis queues and retries it) instead of failing. Set one, e.g. new Redis(url, { commandTimeout: 1_000 }), so that calls fail fast with STORE_UNAVAILABLE.`

describe('eviction is loud', () => {
  for (const policy of ['allkeys-lru', 'volatile-lru', 'volatile-ttl', 'allkeys-random']) {
    itWithOwnRedisServer(
      `${policy} with a maxmemory: one EVICTION_POSSIBLE warning on first use, saying how to fix it`,
      async () => {
        const server = await ownServer('--maxmemory', '64mb', '--maxmemory-policy', policy)
        const redis = client(server.url)
        const { store, warnings } = watchedStore(redis)
        expect(warnings).toEqual([])
        for (let use = 0; use < 3; use++) await store.get('s1')
        await checkAnswered(redis)
        await store.get('s1')
        await checkAnswered(redis)
        expect(warnings).toEqual([
          { code: 'EVICTION_POSSIBLE', message: evictionLine(server.port, policy, 67_108_864) },
        ])
      },
    )
  }

  itWithOwnRedisServer(
    "the warnings go to the merchant's logger as docs/redis.md shows",
    async () => {
      const server = await ownServer('--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru')
      const url = server.url
      const lines: unknown[][] = []
      const logger = { warn: (...line: unknown[]) => lines.push(line) }
      // docs/redis.md quotes from here to the next blank line
      const redis = new Redis(url, { commandTimeout: 1_000 })
      const store = createRedisStore(redis, {
        onWarning: (warning) => logger.warn({ code: warning.code }, warning.message),
      })

      clients.push(redis)
      stores.push(store)
      await store.get('s1')
      await checkAnswered(redis)
      expect(lines).toEqual([
        [{ code: 'EVICTION_POSSIBLE' }, evictionLine(server.port, 'allkeys-lru', 67_108_864)],
      ])
    },
  )

  itWithOwnRedisServer(
    'noeviction with a maxmemory, or an evicting policy without one: no warning',
    async () => {
      for (const args of [
        ['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'],
        ['--maxmemory', '0', '--maxmemory-policy', 'allkeys-lru'],
      ]) {
        const server = await ownServer(...args)
        const redis = client(server.url)
        const { store, warnings } = watchedStore(redis)
        await store.get('s1')
        await checkAnswered(redis)
        expect(warnings).toEqual([])
      }
    },
  )

  itWithOwnRedisServer(
    'a server that refuses CONFIG (renamed away, or an ACL user without it): one line saying the check could not run, naming no user or password',
    async () => {
      const renamed = await ownServer('--rename-command', 'CONFIG', '')
      const admin = client(renamed.url)
      await admin.call('ACL', 'SETUSER', 'shop', 'on', '>pa55-w0rd', '~*', '&*', '+@all')
      const acl = await ownServer()
      await client(acl.url).call(
        'ACL',
        'SETUSER',
        'shop',
        'on',
        '>pa55-w0rd',
        '~*',
        '&*',
        '+@all',
        '-config',
      )
      for (const [server, code] of [
        [renamed, 'ERR'],
        [acl, 'NOPERM'],
      ] as const) {
        const redis = client(`redis://shop:pa55-w0rd@127.0.0.1:${server.port}`)
        const { store, warnings } = watchedStore(redis)
        for (let use = 0; use < 3; use++) {
          await store.get('s1')
          await checkAnswered(redis)
        }
        expect(warnings).toEqual([
          { code: 'EVICTION_UNCHECKED', message: uncheckedLine(server.port, code) },
        ])
      }
    },
  )

  itWithOwnRedisServer(
    'memory runs out under allkeys-lru: the logged-in session is evicted, and the shopper reads NOT_AUTHENTICATED',
    async () => {
      const server = await ownServer('--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru')
      const bolt = await startEmulator()
      const redis = client(server.url)
      const { store, warnings } = watchedStore(redis)
      const tokens = managerFor(bolt, createFetchTransport(), { store })
      await logIn(bolt, tokens, 's1')
      expect((await tokens.getAccessToken('s1')).startsWith('at_')).toBe(true)
      const admin = client(server.url)
      const sessionKeys = async () => (await admin.keys('test:*')).length
      expect(await sessionKeys()).toBe(1)

      await shrinkMemory(admin, 1_048_576)
      expect(await fill(admin, async () => (await sessionKeys()) === 0)).toBe('done')

      expect(Number(/evicted_keys:(\d+)/.exec(await admin.info('stats'))?.[1])).toBeGreaterThan(0)
      const error = await rejection(tokens.getAccessToken('s1'))
      expect(error.code).toBe('NOT_AUTHENTICATED')
      expect(warnings.map((warning) => warning.code)).toEqual(['EVICTION_POSSIBLE'])
    },
  )

  itWithOwnRedisServer(
    'memory runs out under noeviction: writes fail with STORE_UNAVAILABLE, reads go on, and no session is lost',
    async () => {
      const server = await ownServer('--maxmemory', '64mb', '--maxmemory-policy', 'noeviction')
      const bolt = await startEmulator()
      const redis = client(server.url)
      const { store, warnings } = watchedStore(redis)
      const tokens = managerFor(bolt, createFetchTransport(), { store })
      await logIn(bolt, tokens, 's1')
      const token = await tokens.getAccessToken('s1')
      const admin = client(server.url)

      await shrinkMemory(admin, 1_048_576)
      expect(await fill(admin, async () => false)).toMatch(/^OOM command not allowed/)
      // Full stays full: freed buffers could otherwise let one more small write through.
      await shrinkMemory(admin, -65_536)

      // A valid token is a read: it still works.
      expect(await tokens.getAccessToken('s1')).toBe(token)
      // A login and a refresh must write: they fail, saying where.
      const login = await rejection(logIn(bolt, tokens, 's2'))
      expect(login.code).toBe('STORE_UNAVAILABLE')
      expect(login.message).toContain(`(Redis at 127.0.0.1:${server.port})`)
      bolt.advanceClock(PAST_EXPIRY_MS)
      const refresh = await rejection(tokens.getAccessToken('s1'))
      expect(refresh.code).toBe('STORE_UNAVAILABLE')
      expect(refresh.message).toContain(`(Redis at 127.0.0.1:${server.port})`)
      expect(bolt.stats.tokenRequests).toBe(1)

      // Memory back: the same session refreshes; nothing was lost.
      await admin.config('SET', 'maxmemory', '0')
      const refreshed = await tokens.getAccessToken('s1')
      expect(refreshed.startsWith('at_')).toBe(true)
      expect(refreshed).not.toBe(token)
      expect(warnings).toEqual([])
    },
  )
})

describe('an unreachable Redis fails fast and says where', () => {
  it('a closed port with commandTimeout: STORE_UNAVAILABLE within the bound, naming 127.0.0.1:<port> and no credential', async () => {
    const port = await freePort()
    const bolt = await startEmulator()
    const redis = client(`redis://shop:pa55-w0rd@127.0.0.1:${port}`, {
      commandTimeout: 500,
      maxRetriesPerRequest: 20,
    })
    const { store, warnings } = watchedStore(redis)
    const tokens = managerFor(bolt, createFetchTransport(), { store })

    const read = await rejection(tokens.getAccessToken('s1'))
    expect(read.message).toBe(
      `The session store (Redis at 127.0.0.1:${port}) failed to read the session; nothing was changed. Retry later and check the store.`,
    )
    for (const call of [
      () => tokens.getAccessToken('s1'),
      () => logIn(bolt, tokens, 's1'),
      () => tokens.logout('s1'),
    ]) {
      const started = performance.now()
      const error = await rejection(call())
      // A sanity bound, not a speed target: it gave up after the client's timeout.
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(error.code).toBe('STORE_UNAVAILABLE')
      expect(error.message).toContain(`(Redis at 127.0.0.1:${port})`)
      expect(error.message).not.toMatch(/pa55|shop/)
      expect(JSON.stringify(error)).not.toMatch(/pa55|shop/)
    }
    expect(warnings).toEqual([])
  })

  it('a client without commandTimeout: one NO_COMMAND_TIMEOUT warning when the store is created, on console.warn by default', async () => {
    const port = await freePort()
    const redis = client(`redis://shop:pa55-w0rd@127.0.0.1:${port}`, {
      commandTimeout: undefined,
      lazyConnect: true,
    })
    const { warnings } = watchedStore(redis)
    expect(warnings).toEqual([{ code: 'NO_COMMAND_TIMEOUT', message: noTimeoutLine(port) }])

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const store = createRedisStore(redis)
      stores.push(store)
      expect(warn.mock.calls).toEqual([[noTimeoutLine(port)]])
    } finally {
      warn.mockRestore()
    }
  })
})

describeRedisCluster('eviction is loud on a cluster', () => {
  it("reads every master's policy and names the one that may evict", async () => {
    const cluster = await startRedisCluster({ masters: 2 })
    try {
      const [safe, evicting] = cluster.nodes as [
        (typeof cluster.nodes)[0],
        (typeof cluster.nodes)[0],
      ]
      await client(`redis://127.0.0.1:${safe.port}`).config('SET', 'maxmemory', '64mb')
      const admin = client(`redis://127.0.0.1:${evicting.port}`)
      await admin.config('SET', 'maxmemory', '64mb')
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru')
      const redis = new Cluster(cluster.nodes, { redisOptions: { commandTimeout: 2_000 } })
      const warnings: RedisStoreWarning[] = []
      const store = createRedisStore(redis, { onWarning: (warning) => warnings.push(warning) })
      try {
        // The first use may come before the client knows the masters: a later use checks.
        for (let use = 0; use < 3; use++) await store.get(`s${use}`)
        await expect.poll(() => warnings.length).toBe(1)
        for (let use = 0; use < 3; use++) await store.get(`s${use}`)
        await Promise.all(redis.nodes('master').map((node) => node.ping()))
        expect(warnings).toEqual([
          {
            code: 'EVICTION_POSSIBLE',
            message: evictionLine(evicting.port, 'volatile-lru', 67_108_864),
          },
        ])
      } finally {
        await store.close()
        redis.disconnect()
      }
    } finally {
      await cluster.stop()
    }
  }, 30_000)
})
