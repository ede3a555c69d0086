// A throwaway Redis Cluster (masters only) of our own redis-server processes, for tests of the
// Redis store against a cluster (hash tags, sharded pub/sub). Needs redis-server ≥ 7 on PATH;
// REDIS_URL alone is not enough, so these suites skip loudly without it (and fail under CI).
import { Redis } from 'ioredis'
import { describe, inject } from 'vitest'
import { freePort, isCI, type RedisServerProcess, startRedisServer } from './redis-global-setup.js'

/** `redis-server` on PATH (found by the global setup), or null. */
export const redisServerPath: string | null = inject('redisServerPath')

const SLOTS = 16384

/**
 * `describe(name, body)` when redis-server is on PATH; otherwise a loudly skipped
 * `describe.skip`, or an error when CI is set.
 */
export function describeRedisCluster(name: string, body: () => void): void {
  if (redisServerPath !== null) {
    describe(name, body)
    return
  }
  const why = 'no redis-server on PATH (a cluster is started from our own redis-server processes)'
  if (isCI()) {
    throw new Error(
      `Redis cluster suite "${name}" cannot run under CI: ${why}. ` +
        'Install it: apt-get install -y redis-server (Debian/Ubuntu) or brew install redis.',
    )
  }
  console.warn(
    `!!! REDIS CLUSTER SUITE SKIPPED: "${name}": ${why}; ` +
      'install redis-server (apt-get install -y redis-server / brew install redis) to run it',
  )
  describe.skip(
    `${name} (skipped: a cluster is started from our own redis-server processes, and none is on PATH; install redis-server)`,
    body,
  )
}

export interface RedisClusterNode {
  host: string
  port: number
}

export interface TestRedisCluster {
  /** The masters, in slot order: node i serves the i-th even share of the 16384 slots. */
  nodes: RedisClusterNode[]
  /** Stops every node and removes their temp dirs. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts `masters` (default 3) cluster-enabled redis-servers on free loopback ports, splits the
 * slots evenly (CLUSTER ADDSLOTSRANGE), joins them (CLUSTER MEET) and waits (≤ 15 s) until every
 * node reports `cluster_state:ok` and sees every slot served by its expected master.
 */
export async function startRedisCluster(
  options: { masters?: number } = {},
): Promise<TestRedisCluster> {
  const masters = options.masters ?? 3
  if (!Number.isInteger(masters) || masters < 1 || masters > 100) {
    throw new Error(`startRedisCluster(): masters must be an integer in 1..100, got ${masters}`)
  }
  if (redisServerPath === null) {
    throw new Error('startRedisCluster(): redis-server is not on PATH (use describeRedisCluster)')
  }
  const serverPath = redisServerPath
  const servers: RedisServerProcess[] = []
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= Promise.allSettled(servers.map((server) => server.stop())).then(() => {})
    return stopping
  }
  const admins: Redis[] = []
  const busPorts = new Map<number, number>()
  try {
    // One after the other: concurrent free-port probes could hand out the same port.
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedisServer({
          serverPath,
          extraArgs: async (port, dir) => {
            // The cluster bus defaults to port + 10000, which may be taken or above 65535.
            let busPort = await freePort()
            while (busPort === port) busPort = await freePort()
            busPorts.set(port, busPort)
            return [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              `${dir}/nodes-${port}.conf`,
              '--cluster-node-timeout',
              '2000',
              '--cluster-port',
              String(busPort),
              '--cluster-announce-ip',
              '127.0.0.1',
            ]
          },
        }),
      )
    }
    for (const server of servers) {
      const admin = new Redis({
        host: server.host,
        port: server.port,
        maxRetriesPerRequest: 1,
        commandTimeout: 2000,
        retryStrategy: () => null,
      })
      admin.on('error', () => {}) // a failing command rejects; nothing else to report
      admins.push(admin)
    }

    const ranges = servers.map((_, i) => ({
      start: Math.floor((i * SLOTS) / masters),
      end: Math.floor(((i + 1) * SLOTS) / masters) - 1,
    }))
    await Promise.all(
      admins.map((admin, i) => {
        const range = ranges[i]
        if (range === undefined) throw new Error('unreachable')
        return admin.call('CLUSTER', 'ADDSLOTSRANGE', range.start, range.end)
      }),
    )
    const first = admins[0]
    if (first === undefined) throw new Error('unreachable')
    for (const server of servers.slice(1)) {
      // The bus port is not port + 10000, so MEET must name it.
      const busPort = busPorts.get(server.port) ?? server.port + 10000
      await first.call('CLUSTER', 'MEET', server.host, server.port, busPort)
    }

    // Who should serve each slot, as seen from every node.
    const expected: number[] = new Array(SLOTS)
    ranges.forEach((range, i) => {
      expected.fill(servers[i]?.port ?? -1, range.start, range.end + 1)
    })
    const deadline = Date.now() + 15_000
    for (;;) {
      const problem = (
        await Promise.all(admins.map((admin) => clusterProblem(admin, masters, expected)))
      )
        .map((reason, i) => (reason === null ? null : `node ${servers[i]?.port}: ${reason}`))
        .filter((reason) => reason !== null)
        .join('; ')
      if (problem === '') break
      if (Date.now() > deadline) {
        throw new Error(`the test cluster did not become ready within 15 s: ${problem}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } catch (error) {
    await stop()
    throw error
  } finally {
    for (const admin of admins) admin.disconnect()
  }
  return { nodes: servers.map(({ host, port }) => ({ host, port })), stop }
}

/** Why `admin`'s node is not ready yet, or null when it is. */
async function clusterProblem(
  admin: Redis,
  masters: number,
  expected: number[],
): Promise<string | null> {
  const info = String(await admin.call('CLUSTER', 'INFO'))
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1]
  if (field('cluster_state') !== 'ok') return `cluster_state:${field('cluster_state')}`
  if (field('cluster_known_nodes') !== String(masters)) {
    return `knows ${field('cluster_known_nodes')} of ${masters} nodes`
  }
  const owners: number[] = new Array(SLOTS).fill(-1)
  const slots = await admin.call('CLUSTER', 'SLOTS')
  if (!Array.isArray(slots)) return 'CLUSTER SLOTS answered no array'
  for (const entry of slots) {
    if (!Array.isArray(entry)) continue
    const [start, end, master] = entry as unknown[]
    if (typeof start !== 'number' || typeof end !== 'number' || !Array.isArray(master)) continue
    const [host, port] = master as unknown[]
    if (host !== '127.0.0.1' || typeof port !== 'number') continue
    owners.fill(port, start, end + 1)
  }
  const wrong = owners.findIndex((port, slot) => port !== expected[slot])
  return wrong === -1 ? null : `slot ${wrong} is served by ${owners[wrong]}, not ${expected[wrong]}`
}
