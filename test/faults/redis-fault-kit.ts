// What the Redis fault tests share: Redis clients behind a fault proxy, stores, a dedicated
// redis-server that can be restarted on the same port, reading the stored record, and closing
// all of it after each test (`closeAll()` in `afterEach`).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { inject, it } from 'vitest'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { EMULATOR_DEFAULTS } from '../../src/emulator/options.js'
import { decodeSessionRecord } from '../../src/manager/session-record.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import { rawSession, redisUrl } from '../support/redis.js'
import {
  isCI,
  type RedisServerProcess,
  startRedisServer,
  waitForRedis,
} from '../support/redis-global-setup.js'
import { type FaultProxy, startFaultProxy } from '../support/tcp-proxy.js'

/** `redis-server` on PATH, for the tests that start (and restart) their own; null without one. */
export const redisServerPath: string | null = inject('redisServerPath')

/**
 * `it(name, test)` for a test that starts its own redis-server (REDIS_URL alone cannot do
 * it): without one on PATH it is skipped with the reason in its name, or fails under CI.
 */
export function itWithOwnRedisServer(name: string, test: () => Promise<void>): void {
  if (redisServerPath !== null) {
    it(name, test)
    return
  }
  if (isCI()) throw new Error(`"${name}" needs redis-server on PATH, and CI is set: install it`)
  it.skip(
    `${name} (skipped: it starts its own redis-server, and none is on PATH; install redis-server)`,
    test,
  )
}

type Closer = () => Promise<void> | void
/** What `closeAll()` closes, in this order: stores, clients, proxies, servers. */
const open = {
  stores: [] as Closer[],
  clients: [] as Closer[],
  proxies: [] as Closer[],
  servers: [] as Closer[],
}

/** Closes everything created through this module since the last call. */
export async function closeAll(): Promise<void> {
  for (const closers of [open.stores, open.clients, open.proxies, open.servers]) {
    await Promise.allSettled(closers.splice(0).map(async (close) => close()))
  }
}

/** A fault proxy in front of the run's Redis, closed by `closeAll()`. */
export async function redisProxy(): Promise<FaultProxy> {
  if (redisUrl === null) throw new Error('redisProxy(): no Redis in this run')
  const proxy = await startFaultProxy(redisUrl)
  open.proxies.push(() => proxy.close())
  return proxy
}

/**
 * A client that fails fast and reconnects quickly: `commandTimeout` 300 ms, no retry of a
 * command across reconnects (`maxRetriesPerRequest: 0`: every lost connection fails what it
 * carried, so a command the test saw fail is never sent again later), a reconnect every 50 ms.
 */
export function fastFailingClient(
  url: string,
  options: Omit<RedisOptions, 'replyMapping'> = {},
): Redis {
  const client = new Redis(url, {
    commandTimeout: 300,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
    ...options,
  })
  client.on('error', () => {})
  open.clients.push(() => client.disconnect())
  return client
}

/** A direct client on the run's Redis, to look at what was stored, past any fault. */
export function directClient(url = redisUrl ?? ''): Redis {
  const client = new Redis(url, { commandTimeout: 2_000, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  open.clients.push(() => client.disconnect())
  return client
}

/** A Redis store whose subscriber connection `closeAll()` closes. */
export function redisStore(client: Redis, prefix: string): RedisStore {
  const store = createRedisStore(client, { prefix })
  open.stores.push(() => store.close())
  return store
}

/** Resolves at the client's next `ready` (after a reconnect); rejects after `timeoutMs`. */
export async function nextReady(client: Redis, timeoutMs = 3_000): Promise<void> {
  await once(client, 'ready', { signal: AbortSignal.timeout(timeoutMs) })
}

/**
 * The key of a session in the Redis store (see adapters/storage/redis.ts), for a manager keyed
 * by the emulator's default API key.
 */
export const sessionKey = (prefix: string, sessionId: string) =>
  `${prefix}{${deriveStoreKey(EMULATOR_DEFAULTS.clientSecret, sessionId)}}`

/** The stored record of a session: `undefined` when absent, `null` when it does not decode. */
export async function storedRecord(client: Redis, prefix: string, sessionId: string) {
  const raw = await rawSession(client, sessionKey(prefix, sessionId))
  if (raw === undefined) return undefined
  return { version: Number(raw.version), record: decodeSessionRecord(raw.value) ?? null }
}

/** A dedicated redis-server (no persistence) that `restart()` stops and starts on its port. */
export interface RestartableRedis {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM, wait for its exit): every key is lost. */
  stop(): Promise<void>
  /** Starts a new server on the same port and waits until it answers PING. */
  start(): Promise<void>
}

/** Starts a dedicated redis-server through `startRedisServer()`, closed by `closeAll()`. */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  if (redisServerPath === null) throw new Error('startRestartableRedis(): no redis-server on PATH')
  const serverPath = redisServerPath
  const first: RedisServerProcess = await startRedisServer({ serverPath })
  const { port, url } = first
  let stopCurrent: () => Promise<void> = () => first.stop()
  open.servers.push(() => stopCurrent())

  async function start(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'bolt-redis-restart-'))
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    const child: ChildProcess = spawn(serverPath, args, { cwd: dir, stdio: 'ignore' })
    const killOnExit = () => child.kill('SIGKILL')
    process.once('exit', killOnExit)
    let exited: Error | undefined
    const exit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exited = new Error(`redis-server on port ${port} exited (${signal ?? `code ${code}`})`)
        process.off('exit', killOnExit)
        resolve()
      })
      child.once('error', (error) => {
        exited = error
        resolve()
      })
    })
    stopCurrent = async () => {
      if (exited === undefined) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exit
        clearTimeout(killer)
      }
      await rm(dir, { recursive: true, force: true })
    }
    await waitForRedis(url, 5_000, () => exited)
  }

  return { port, url, stop: () => stopCurrent(), start }
}
