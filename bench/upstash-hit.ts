/**
 * `upstash.hit.*` and `upstash.raw-get.ops`: what a valid-token read costs on the Upstash store,
 * in HTTP requests and commands (counted at the REST test server, test/support/upstash-server.ts,
 * run in a child process of its own in front of the bench's Redis) and in throughput at 100 concurrency against a raw
 * `@upstash/redis` `GET` of a record of the same size through the same server and client.
 *
 * @module
 */

import { Redis } from '@upstash/redis'
import { createUpstashStore } from '../adapters/storage/upstash.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import { EMULATOR_DEFAULTS } from '../src/emulator/options.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../src/manager/token-manager.js'
import type { UpstashServerStats } from '../test/support/upstash-server.js'
import { type Child, type ChildMessage, spawnChild } from './child.js'
import type { Section } from './context.js'
import { heading } from './format.js'
import { type Metric, measured, notMeasured } from './metrics.js'
import { compareReads, listRatios } from './read-comparison.js'
import { logInAll, sessionIds } from './sessions.js'
import type { UpstashServerReady } from './upstash-server-child.js'

/** The bench emulator runs on the defaults: the API key the managers' store keys derive from. */
const EMULATOR_SECRET = EMULATOR_DEFAULTS.clientSecret

const CONCURRENCY = 100
const READS_COUNTED = 100

/** Measures the valid-token read on the Upstash store. */
export const upstashHit: Section = async ({ settings, emulator, redis }) => {
  heading(
    `upstash.hit: valid-token reads over HTTP (@upstash/redis), ${CONCURRENCY} concurrent loops`,
  )
  if (redis === null) {
    const why = 'no Redis behind the REST test server (set REDIS_URL or put redis-server on PATH)'
    console.log(`  SKIPPED: ${why}`)
    return {
      'upstash.hit.requests': notMeasured('requests/read', why),
      'upstash.hit.ops': notMeasured('ops/s', why),
      'upstash.raw-get.ops': notMeasured('ops/s', why),
    }
  }
  const server = await spawnChild<UpstashServerReady>('./upstash-server-child.ts', {
    name: 'upstash-server',
    env: { BENCH_UPSTASH_REDIS_URL: redis.url },
  })
  const { url, token } = server.ready
  const prefix = `${redis.prefix}upstash-hit:`
  // The client's defaults (auto-pipelining, base64 responses, JSON deserialization).
  const client = new Redis({ url, token, enableTelemetry: false })
  const store = createUpstashStore(client, { prefix })
  try {
    const manager = createTokenManager({ ...emulatorManagerOptions(emulator), store })
    const ids = sessionIds('upstash', CONCURRENCY)
    const tokens = await logInAll(emulator, manager, ids)
    const requests = await requestsPerRead(server, manager, ids[0] as string)
    const throughput = await readThroughput(settings, client, manager, prefix, ids, tokens)
    return { 'upstash.hit.requests': requests, ...throughput }
  } finally {
    await store.close()
    await server.close()
  }
}

type StatsReply = ChildMessage & { stats: UpstashServerStats }

/** Counts, at the server, the HTTP requests and commands of {@link READS_COUNTED} sequential reads. */
async function requestsPerRead(
  server: Child<UpstashServerReady>,
  manager: TokenManager,
  sessionId: string,
): Promise<Metric> {
  const token = await manager.getAccessToken(sessionId)
  await server.request<StatsReply>({ type: 'reset' }, 'stats')
  for (let i = 0; i < READS_COUNTED; i++) {
    if ((await manager.getAccessToken(sessionId)) !== token) throw new Error('wrong token')
  }
  const { requests, commands } = (await server.request<StatsReply>({ type: 'stats' }, 'stats'))
    .stats
  const perRead = requests / READS_COUNTED
  const breakdown =
    Object.entries(commands)
      .map(([name, count]) => `${name} ×${count}`)
      .join(', ') || 'none'
  console.log(
    `  HTTP requests per valid-token read: ${perRead} (${requests} requests, commands ${breakdown}, for ${READS_COUNTED} sequential reads)`,
  )
  return measured(
    perRead,
    'requests/read',
    `${READS_COUNTED} sequential valid-token reads counted at the REST test server: ${requests} HTTP requests, commands ${breakdown}`,
  )
}

/** Throughput of the manager against a raw GET of a record of the same size, same client. */
async function readThroughput(
  settings: { rounds: number; scale: number },
  client: Redis,
  manager: TokenManager,
  prefix: string,
  ids: readonly string[],
  tokens: readonly string[],
): Promise<Record<'upstash.hit.ops' | 'upstash.raw-get.ops' | 'upstash.hit.vs-raw-get', Metric>> {
  // For each session, a copy of its stored string under another key: the raw GET reads as
  // many bytes as the store's own GET, without the library around it.
  const keys = ids.map((id) => `${prefix}{${deriveStoreKey(EMULATOR_SECRET, id)}}`)
  const copies = keys.map((key) => `${key}:copy`)
  let recordBytes = 0
  for (const [i, key] of keys.entries()) {
    const stored = await client.get<string>(key)
    if (typeof stored !== 'string') throw new Error(`the session record is not at ${key}`)
    recordBytes = new TextEncoder().encode(stored).length
    await client.set(copies[i] as string, stored, { px: 3_600_000 })
  }
  const ops = {
    manager: async (loop: number) => {
      if ((await manager.getAccessToken(ids[loop] as string)) !== tokens[loop]) {
        throw new Error('wrong token')
      }
    },
    get: (loop: number) => client.get(copies[loop] as string),
  }
  const compared = await compareReads(
    settings,
    { manager: ops.manager, raw: ops.get },
    {
      concurrency: CONCURRENCY,
      what: `record: ${recordBytes} bytes; one @upstash/redis client (defaults: auto-pipelining) for both variants, through the REST test server (its own process)`,
      rawName: 'GET',
    },
  )
  const shape = `${CONCURRENCY} concurrent loops on one @upstash/redis client through the REST test server, median of ${settings.rounds} interleaved rounds`
  return {
    'upstash.hit.ops': measured(
      compared.manager,
      'ops/s',
      `getAccessToken on valid tokens, Upstash store (one GET of a ${recordBytes}-byte record); ${shape}`,
    ),
    'upstash.raw-get.ops': measured(
      compared.raw,
      'ops/s',
      `raw @upstash/redis GET of a ${recordBytes}-byte string (a copy of the same record); ${shape}`,
    ),
    'upstash.hit.vs-raw-get': measured(
      compared.ratio,
      '×',
      `upstash.hit.ops / upstash.raw-get.ops, median of per-round ratios (${listRatios(compared.ratios)})`,
    ),
  }
}
