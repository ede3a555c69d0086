/**
 * `redis.hit.*` and `redis.raw-get.ops`: what a valid-token read costs on Redis, in commands
 * (counted with `MONITOR`) and in throughput at 100 concurrency against a raw `GET` of a record
 * of the same size.
 *
 * @module
 */

import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { createRedisStore } from '../adapters/storage/redis.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import { EMULATOR_DEFAULTS } from '../src/emulator/options.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../src/manager/token-manager.js'
import type { Section } from './context.js'
import { heading } from './format.js'
import { type Metric, measured, notMeasured } from './metrics.js'
import { compareReads, listRatios } from './read-comparison.js'
import { logInAll, sessionIds } from './sessions.js'

/** The bench emulator runs on the defaults: the API key the managers' store keys derive from. */
const EMULATOR_SECRET = EMULATOR_DEFAULTS.clientSecret

const CONCURRENCY = 100
const READS_COUNTED = 100

const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs))

/** Measures the valid-token read on Redis. */
export const redisHit: Section = async ({ settings, emulator, redis }) => {
  heading(`redis.hit: valid-token reads on Redis, ${CONCURRENCY} concurrent loops`)
  if (redis === null) {
    const why = 'no Redis (set REDIS_URL or put redis-server on PATH)'
    console.log(`  SKIPPED: ${why}`)
    return {
      'redis.hit.commands': notMeasured('commands/read', why),
      'redis.hit.ops': notMeasured('ops/s', why),
      'redis.raw-get.ops': notMeasured('ops/s', why),
    }
  }
  const prefix = `${redis.prefix}hit:`
  const client = redis.client()
  const store = createRedisStore(client, { prefix })
  try {
    const manager = createTokenManager({ ...emulatorManagerOptions(emulator), store })
    const ids = sessionIds('redis', CONCURRENCY)
    const tokens = await logInAll(emulator, manager, ids)
    const commands = await commandsPerRead(
      redis.client(),
      client,
      manager,
      prefix,
      ids[0] as string,
    )
    const throughput = await readThroughput(settings, client, manager, prefix, ids, tokens)
    return { 'redis.hit.commands': commands, ...throughput }
  } finally {
    await store.close()
  }
}

/** Counts, with `MONITOR`, the commands Redis sees for {@link READS_COUNTED} valid-token reads. */
async function commandsPerRead(
  admin: Redis,
  client: Redis,
  manager: TokenManager,
  prefix: string,
  sessionId: string,
): Promise<Metric> {
  const token = await manager.getAccessToken(sessionId)
  // The store's connection, to count commands that do not name our key too (an INFO, say).
  let ownAddress: string | null = null
  try {
    ownAddress = /(?:^|\s)addr=(\S+)/.exec(String(await client.call('CLIENT', 'INFO')))?.[1] ?? null
  } catch {
    // CLIENT INFO needs Redis ≥ 6.2 (and may be denied by ACLs): count by prefix only
  }
  let monitor: Redis
  try {
    monitor = await admin.monitor()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.log(`  commands per read: NOT MEASURED (MONITOR refused: ${reason})`)
    return notMeasured('commands/read', `MONITOR was refused (${reason})`)
  }
  const sentinel = `bench-sentinel-${randomBytes(6).toString('hex')}`
  const names = new Map<string, number>()
  let withPrefix = 0
  let fromConnection = 0
  let counting = true
  let sawSentinel: () => void = () => {}
  const sentinelSeen = new Promise<void>((resolve) => {
    sawSentinel = resolve
  })
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args.includes(sentinel)) {
      sawSentinel()
      return
    }
    if (!counting) return
    if (source === ownAddress) fromConnection++
    if (args.some((arg) => arg.includes(prefix))) {
      withPrefix++
      const name = (args[0] ?? '?').toUpperCase()
      names.set(name, (names.get(name) ?? 0) + 1)
    }
  })
  for (let i = 0; i < READS_COUNTED; i++) {
    if ((await manager.getAccessToken(sessionId)) !== token) throw new Error('wrong token')
  }
  // Everything sent before the sentinel reaches the MONITOR stream before it.
  await client.echo(sentinel)
  await Promise.race([
    sentinelSeen,
    sleep(5_000).then(() => {
      throw new Error('MONITOR did not show the sentinel within 5 s')
    }),
  ])
  counting = false
  monitor.disconnect()

  const perRead = withPrefix / READS_COUNTED
  const breakdown = [...names].map(([name, count]) => `${name} ×${count}`).join(', ') || 'none'
  const connection =
    ownAddress === null ? 'n/a (no CLIENT INFO)' : `${fromConnection / READS_COUNTED} per read`
  console.log(
    `  commands per valid-token read: ${perRead} (${breakdown} for ${READS_COUNTED} reads; ` +
      `everything from the store's connection: ${connection})`,
  )
  return measured(
    perRead,
    'commands/read',
    `${READS_COUNTED} valid-token reads counted with MONITOR: ${breakdown}; all commands from the store's connection: ${connection}`,
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
): Promise<Record<'redis.hit.ops' | 'redis.raw-get.ops' | 'redis.hit.vs-raw-get', Metric>> {
  // For each session, a copy of its stored string under another key: the raw GET reads as
  // many bytes as the store's own GET, without the library around it.
  const keys = ids.map((id) => `${prefix}{${deriveStoreKey(EMULATOR_SECRET, id)}}`)
  const copies = ids.map((id) => `${prefix}{${deriveStoreKey(EMULATOR_SECRET, id)}}:copy`)
  let recordBytes = 0
  for (const [i, key] of keys.entries()) {
    const stored = await client.get(key)
    if (stored === null) throw new Error(`the session record is not at ${key}`)
    recordBytes = Buffer.byteLength(stored)
    await client.set(copies[i] as string, stored, 'PX', 3_600_000)
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
      what: `record: ${recordBytes} bytes; one ioredis client for both variants`,
      rawName: 'GET',
    },
  )
  const shape = `${CONCURRENCY} concurrent loops on one ioredis client, median of ${settings.rounds} interleaved rounds`
  return {
    'redis.hit.ops': measured(
      compared.manager,
      'ops/s',
      `getAccessToken on valid tokens, Redis store (one GET of a ${recordBytes}-byte record); ${shape}`,
    ),
    'redis.raw-get.ops': measured(
      compared.raw,
      'ops/s',
      `raw ioredis GET of a ${recordBytes}-byte string (a copy of the same record); ${shape}`,
    ),
    'redis.hit.vs-raw-get': measured(
      compared.ratio,
      '×',
      `redis.hit.ops / redis.raw-get.ops, median of per-round ratios (${listRatios(compared.ratios)})`,
    ),
  }
}
