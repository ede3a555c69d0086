// A primary, its replicas and a Sentinel on real redis-server processes, each on a free
// loopback port in its own temp dir, for the failover tests. Each replica replicates through a
// fault proxy, so a test can hold replication back (`holdReplication()`): the only way to make
// "the primary acknowledged a write its replicas do not have" happen on purpose on loopback,
// where replication otherwise takes well under a millisecond.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { describe, inject } from 'vitest'
import {
  freePort,
  isCI,
  killOnExit,
  type RedisServerProcess,
  startRedisServer,
  waitForRedis,
} from '../support/redis-server.js'
import { type FaultProxy, startFaultProxy } from '../support/tcp-proxy.js'

/** `redis-server` on PATH (the run's global setup looked), or null. */
export const redisServerPath: string | null = inject('redisServerPath')

/** ioredis options without `replyMapping` (the store reads the default, "legacy", replies). */
export type ClientOptions = Omit<RedisOptions, 'replyMapping'>

/** The master name Sentinel monitors. */
export const MASTER_NAME = 'mymaster'

/**
 * `describe(name, body)` when redis-server is on PATH; otherwise a loudly skipped suite, or an
 * error when CI is set (a missing redis-server fails CI, never skips).
 */
export function describeSentinel(name: string, body: () => void): void {
  if (redisServerPath !== null) {
    describe(name, body)
    return
  }
  if (isCI())
    throw new Error(`Sentinel suite "${name}" cannot run: no redis-server on PATH, and CI is set`)
  console.warn(
    `!!! SENTINEL SUITE SKIPPED: "${name}" (no redis-server on PATH; install it to run it)`,
  )
  describe.skip(`${name} (skipped: no redis-server on PATH; install Debian's redis-server)`, body)
}

export interface SentinelSetup {
  primary: RedisServerProcess
  replicas: RedisServerProcess[]
  /** Between each replica and the primary: its replication link. */
  replicationLinks: FaultProxy[]
  sentinel: { port: number; child: ChildProcess; log(): string }
  /** ioredis options that reach the master through Sentinel. */
  clientOptions(extra?: ClientOptions): ClientOptions
  /** Waits until every replica has every write the primary has (offsets equal). */
  waitForReplicaInSync(timeoutMs?: number): Promise<void>
  /** From now on no replica receives anything from the primary. */
  holdReplication(): void
  /** kill -9 the primary. */
  killPrimary(): void
  /** Resolves with the new master's port once Sentinel has promoted a replica and it is master. */
  waitForPromotion(timeoutMs?: number): Promise<number>
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function direct(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    // The replica drops its clients while it loads the primary's data: reconnect.
    retryStrategy: () => 100,
  })
  client.on('error', () => {})
  return client
}

function offsetOf(info: string, field: string): number {
  return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? Number.NaN)
}

/**
 * Starts the three processes: Sentinel monitors the primary with quorum 1, down after
 * `downAfterMs` (default 300 ms).
 */
export async function startSentinelSetup({
  replicaCount = 1,
  downAfterMs = 300,
  // Long on purpose: past it, Sentinel "fixes" a replica that replicates through a proxy (its
  // master's address differs from the one Sentinel monitors) by pointing it at the primary
  // directly, which would undo `holdReplication()`. A first failover does not wait for it.
  failoverTimeoutMs = 60_000,
}: {
  replicaCount?: number
  downAfterMs?: number
  failoverTimeoutMs?: number
} = {}): Promise<SentinelSetup> {
  if (redisServerPath === null) throw new Error('startSentinelSetup(): no redis-server on PATH')
  const serverPath = redisServerPath
  // No delay before a (diskless) full sync: a replica is ready in milliseconds.
  const noSyncDelay = ['--repl-diskless-sync-delay', '0']
  const primary = await startRedisServer({ serverPath, extraArgs: () => noSyncDelay })
  const replicationLinks: FaultProxy[] = []
  const replicas: RedisServerProcess[] = []
  for (let i = 0; i < replicaCount; i++) {
    const link = await startFaultProxy({ host: '127.0.0.1', port: primary.port })
    replicationLinks.push(link)
    // The replica announces its own port; it reaches the primary through the proxy.
    replicas.push(
      await startRedisServer({
        serverPath,
        extraArgs: () => [...noSyncDelay, '--replicaof', '127.0.0.1', String(link.port)],
      }),
    )
  }

  // Sentinel rewrites its config file: give it one of its own in its own dir.
  const sentinelDir = await mkdtemp(join(tmpdir(), 'bolt-sentinel-'))
  const sentinelPort = await freePort()
  const config = join(sentinelDir, 'sentinel.conf')
  await writeFile(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${sentinelDir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
      `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${MASTER_NAME} ${replicaCount}`,
      '',
    ].join('\n'),
  )
  const child = spawn(serverPath, [config, '--sentinel'], {
    cwd: sentinelDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  killOnExit(child)
  let sentinelLog = ''
  const collect = (chunk: Buffer) => {
    sentinelLog = (sentinelLog + chunk.toString()).slice(-8000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  await waitForRedis(`redis://127.0.0.1:${sentinelPort}`, 5_000)

  const primaryClient = direct(primary.port)
  const replicaClients = replicas.map((replica) => direct(replica.port))
  const sentinelClient = direct(sentinelPort)

  const setup: SentinelSetup = {
    primary,
    replicas,
    replicationLinks,
    sentinel: { port: sentinelPort, child, log: () => sentinelLog },
    clientOptions: (extra: ClientOptions = {}): ClientOptions => ({
      sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
      name: MASTER_NAME,
      ...extra,
    }),
    async waitForReplicaInSync(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const [mine, ...theirs] = await Promise.all([
          primaryClient.info('replication'),
          ...replicaClients.map((client) => client.info('replication')),
        ])
        const primaryOffset = offsetOf(mine, 'master_repl_offset')
        const offsets = theirs.map((info) =>
          /master_link_status:up/.test(info) ? offsetOf(info, 'slave_repl_offset') : -1,
        )
        if (primaryOffset > 0 && offsets.every((offset) => offset >= primaryOffset)) return
        if (Date.now() > deadline) {
          throw new Error(
            `replicas not in sync after ${timeoutMs} ms (primary ${primaryOffset}, replicas ${offsets})`,
          )
        }
        await sleep(10)
      }
    },
    holdReplication() {
      for (const link of replicationLinks) link.setMode('blackhole')
    },
    killPrimary() {
      primary.child.kill('SIGKILL')
    },
    async waitForPromotion(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      const ports = new Set(replicas.map((replica) => String(replica.port)))
      for (;;) {
        const address = (await sentinelClient
          .call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)
          .catch(() => null)) as string[] | null
        const port = address?.[1]
        if (port !== undefined && ports.has(port)) {
          const index = replicas.findIndex((replica) => String(replica.port) === port)
          const role = await replicaClients[index]?.call('ROLE').catch(() => null)
          if (Array.isArray(role) && role[0] === 'master') return Number(port)
        }
        if (Date.now() > deadline) {
          throw new Error(
            `Sentinel did not promote a replica within ${timeoutMs} ms:\n${sentinelLog}`,
          )
        }
        await sleep(25)
      }
    },
    async stop() {
      for (const client of [primaryClient, ...replicaClients, sentinelClient]) client.disconnect()
      child.kill('SIGKILL')
      await Promise.allSettled([
        primary.stop(),
        ...replicas.map((replica) => replica.stop()),
        ...replicationLinks.map((link) => link.close()),
      ])
      await rm(sentinelDir, { recursive: true, force: true })
    },
  }
  try {
    // Each replica's first sync, before anything counts on its acknowledgements.
    await setup.waitForReplicaInSync(10_000)
    // Sentinel learns of the replicas from the primary's INFO; a failover before that would
    // find no replica to promote.
    for (const deadline = Date.now() + 15_000; ; ) {
      const known = (await sentinelClient
        .call('SENTINEL', 'replicas', MASTER_NAME)
        .catch(() => [])) as string[][]
      const healthy = known.filter((fields) => {
        const flags = fields[fields.indexOf('flags') + 1] ?? ''
        return flags.includes('slave') && !/s_down|disconnected/.test(flags)
      })
      if (healthy.length === replicaCount) break
      if (Date.now() > deadline)
        throw new Error(`Sentinel did not discover the replicas:\n${sentinelLog}`)
      await sleep(25)
    }
  } catch (error) {
    await setup.stop()
    throw error
  }
  return setup
}
