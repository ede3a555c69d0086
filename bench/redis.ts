import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { createRedisStore, type RedisStore } from '../adapters/storage/redis.js'
import { type BoltEmulator, startBoltEmulator } from '../src/emulator/index.js'
import { createTokenManager, type TokenManager } from '../src/manager/token-manager.js'
import { findOnPath, pingRedis, redactUrl, startRedisServer } from '../test/support/redis-server.js'

// ---------------------------------------------------------------------------------------------
// Knobs (environment overrides are for quick local runs; the README's numbers use the defaults)

const READS_COUNTED = 100
const CONCURRENCY = 100
const ROUND_MS = envNumber('BENCH_ROUND_MS', 3_000)
const ROUNDS = Math.max(5, envNumber('BENCH_ROUNDS', 5))
const WARMUP_MS = 1_000
/** Length of one slice of a round: the variants alternate at this granularity. */
const SLICE_MS = 250
const THROUGHPUT_TARGET = 0.9
const STAMPEDE_CALLERS = 200
const STAMPEDE_MANAGERS = 4
const STAMPEDE_DELAY_MS = 100
const STAMPEDE_RUNS = 5
/** One hour and a minute: past any access token's life and the default refresh skew. */
const PAST_EXPIRY_MS = 61 * 60_000

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`)
  }
  return value
}

// ---------------------------------------------------------------------------------------------
// Small statistics and formatting helpers

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Nearest-rank percentile (`p` in 0..100). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

const int = (value: number) => Math.round(value).toLocaleString('en-US')
const ms = (value: number) => `${value.toFixed(1)} ms`
const ratio = (value: number) => `${value.toFixed(3)}×`

/** A plain-text table; the first column is left-aligned, the others right-aligned unless `left`. */
function table(headers: string[], rows: string[][], left: readonly number[] = [0]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]) =>
    `  ${cells
      .map((cell, column) => {
        const width = widths[column] ?? 0
        return left.includes(column) ? cell.padEnd(width) : cell.padStart(width)
      })
      .join('  ')
      .trimEnd()}`
  return [
    line(headers),
    `  ${widths.map((width) => '-'.repeat(width)).join('  ')}`,
    ...rows.map(line),
  ].join('\n')
}

function heading(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 90 - title.length))}`)
}

const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs))

// ---------------------------------------------------------------------------------------------
// Redis: REDIS_URL, else our own redis-server on a free loopback port, else exit 1

interface RedisTarget {
  url: string
  /** How the Redis was found, for the report. */
  origin: string
  stop(): Promise<void>
}

async function resolveRedis(): Promise<RedisTarget> {
  const configured = process.env.REDIS_URL
  if (configured !== undefined && configured !== '') {
    try {
      await pingRedis(configured, 2_000)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      fail(`REDIS_URL=${redactUrl(configured)} does not answer PING within 2 s (${reason}).`)
    }
    return { url: configured, origin: `REDIS_URL=${redactUrl(configured)}`, stop: async () => {} }
  }
  const serverPath = findOnPath('redis-server')
  if (serverPath === null) {
    fail(
      'No Redis to benchmark: REDIS_URL is not set and there is no redis-server on PATH.\n' +
        'Either install redis-server (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew ' +
        'install redis) and the benchmark starts its own on a free port, or point it at one:\n' +
        '  REDIS_URL=redis://127.0.0.1:6379 npm run bench',
    )
  }
  const server = await startRedisServer({ serverPath })
  return {
    url: server.url,
    origin: `own redis-server (${serverPath}) on ${server.url}`,
    stop: () => server.stop(),
  }
}

function fail(message: string): never {
  console.error(`bench: ${message}`)
  process.exit(1)
}

// ---------------------------------------------------------------------------------------------
// The run's fixtures

interface Fixture {
  url: string
  prefix: string
  bolt: BoltEmulator
  /** Every client and store we open, closed at the end. */
  clients: Redis[]
  stores: RedisStore[]
}

function newClient(fixture: Fixture): Redis {
  // Long command timeout: a noisy machine must not turn into false failures.
  const client = new Redis(fixture.url, { commandTimeout: 10_000, maxRetriesPerRequest: 1 })
  fixture.clients.push(client)
  return client
}

function newManager(fixture: Fixture, client: Redis): { manager: TokenManager; store: RedisStore } {
  const store = createRedisStore(client, { prefix: fixture.prefix })
  fixture.stores.push(store)
  const { bolt } = fixture
  const manager = createTokenManager({
    clientId: bolt.clientId,
    clientSecret: bolt.clientSecret,
    baseUrl: bolt.url,
    // The emulator's clock, so that advanceClock() expires the tokens.
    clock: bolt.now,
    store,
  })
  return { manager, store }
}

async function logIn(fixture: Fixture, manager: TokenManager, sessionId: string): Promise<string> {
  await manager.exchangeCode(sessionId, { code: fixture.bolt.login().code })
  return manager.getAccessToken(sessionId)
}

// ---------------------------------------------------------------------------------------------
// 1. Commands per valid-token read

interface CommandCount {
  measured: boolean
  reason?: string
  perRead: number
  fromConnectionPerRead: number | null
  names: Map<string, number>
}

async function commandsPerRead(fixture: Fixture): Promise<CommandCount> {
  heading('1. Redis commands per valid-token read')
  const client = newClient(fixture)
  const { manager } = newManager(fixture, client)
  const sessionId = 'commands'
  const token = await logIn(fixture, manager, sessionId)
  // Warm: the first read of a fresh client is not the steady state we are counting.
  await manager.getAccessToken(sessionId)

  // Our data connection's address, to also count commands that do not name our prefix.
  let ownAddress: string | null = null
  try {
    const info = String(await client.call('CLIENT', 'INFO'))
    ownAddress = /(?:^|\s)addr=(\S+)/.exec(info)?.[1] ?? null
  } catch {
    // CLIENT INFO needs Redis ≥ 6.2 (and may be denied by ACLs): count by prefix only
  }

  let monitor: Redis
  try {
    monitor = await client.monitor()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.log(`  NOT MEASURED: MONITOR was refused (${reason}).`)
    return {
      measured: false,
      reason,
      perRead: Number.NaN,
      fromConnectionPerRead: null,
      names: new Map(),
    }
  }
  fixture.clients.push(monitor)
  const sentinel = `bench-sentinel-${randomBytes(6).toString('hex')}`
  const names = new Map<string, number>()
  let withPrefix = 0
  let fromConnection = 0
  let counting = false
  let sawSentinel: () => void = () => {}
  const sentinelSeen = new Promise<void>((resolve) => {
    sawSentinel = resolve
  })
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args.includes(sentinel)) {
      if (counting) sawSentinel()
      return
    }
    if (!counting) return
    if (ownAddress !== null && source === ownAddress) fromConnection++
    if (args.some((arg) => arg.includes(fixture.prefix))) {
      withPrefix++
      const name = (args[0] ?? '?').toUpperCase()
      names.set(name, (names.get(name) ?? 0) + 1)
    }
  })

  counting = true
  for (let i = 0; i < READS_COUNTED; i++) {
    const read = await manager.getAccessToken(sessionId)
    if (read !== token) throw new Error('a valid-token read returned another token')
  }
  // Everything we sent before the sentinel is in the MONITOR stream before it.
  await client.echo(sentinel)
  const timeout = sleep(5_000).then(() => {
    throw new Error('MONITOR did not show the sentinel within 5 s')
  })
  await Promise.race([sentinelSeen, timeout])
  counting = false
  monitor.disconnect()

  const perRead = withPrefix / READS_COUNTED
  const fromConnectionPerRead = ownAddress === null ? null : fromConnection / READS_COUNTED
  const breakdown = [...names].map(([name, count]) => `${name} ×${count}`).join(', ') || 'none'
  console.log(
    table(
      ['metric', 'value'],
      [
        ['valid-token getAccessToken() calls', String(READS_COUNTED)],
        ['commands naming our key prefix', `${withPrefix}  (${breakdown})`],
        [
          'commands from the store connection',
          fromConnectionPerRead === null ? 'n/a (no CLIENT INFO)' : String(fromConnection),
        ],
        ['commands per valid-token read', `${perRead}  (target 1, an HMGET)`],
      ],
      [0, 1],
    ),
  )
  const onlyHmget = names.size === 1 && names.has('HMGET')
  const verdict = perRead === 1 && onlyHmget ? 'PASS' : 'MISS'
  console.log(`  ${verdict}: ${perRead} command(s) per read, ${onlyHmget ? 'HMGET' : breakdown}`)
  return { measured: true, perRead, fromConnectionPerRead, names }
}

// ---------------------------------------------------------------------------------------------
// 2. Valid-token throughput at 100 concurrency, against raw reads of the same record

/** Runs `op` in `concurrency` loops for `durationMs`; returns what was done and how long it took. */
async function runLoops(
  op: () => Promise<unknown>,
  durationMs: number,
  concurrency: number,
): Promise<{ ops: number; seconds: number }> {
  let ops = 0
  const start = performance.now()
  const end = start + durationMs
  const loop = async () => {
    while (performance.now() < end) {
      await op()
      ops++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return { ops, seconds: (performance.now() - start) / 1_000 }
}

interface Throughput {
  manager: number[]
  hmget: number[]
  get: number[]
  /** manager / hmget per round (the two ran in alternating slices of the same window). */
  pairedRatios: number[]
  recordBytes: number
}

async function throughput(fixture: Fixture): Promise<Throughput> {
  heading(`2. Valid-token throughput, ${CONCURRENCY} concurrent loops`)
  const client = newClient(fixture)
  const { manager } = newManager(fixture, client)
  const sessionId = 'throughput'
  const token = await logIn(fixture, manager, sessionId)
  const key = `${fixture.prefix}{${sessionId}}`
  const copyKey = `${fixture.prefix}{${sessionId}}:string-copy`
  const [version, record] = await client.hmget(key, 'v', 'd')
  if (version === null || version === undefined || record === null || record === undefined) {
    throw new Error(`the session record is not at ${key}`)
  }
  // A string of the same size as the record: what a plain GET of the same record would read.
  await client.set(copyKey, `${version}${record}`, 'PX', 3_600_000)
  const recordBytes = Buffer.byteLength(`${version}${record}`)

  const variants = {
    manager: async () => {
      if ((await manager.getAccessToken(sessionId)) !== token) throw new Error('wrong token')
    },
    hmget: () => client.hmget(key, 'v', 'd'),
    get: () => client.get(copyKey),
  } satisfies Record<string, () => Promise<unknown>>
  type Variant = keyof typeof variants
  const names = Object.keys(variants) as Variant[]

  const slices = Math.max(1, Math.round(ROUND_MS / SLICE_MS))
  console.log(
    `  record: ${recordBytes} bytes (hash fields v + d), one ioredis client for all three; ` +
      `${ROUNDS} rounds of ${ROUND_MS / 1_000} s per variant,\n  each round run as ${slices} ` +
      `alternating slices of ${ROUND_MS / slices} ms per variant (order rotated every slice), ` +
      `after a ${WARMUP_MS / 1_000} s warm-up each`,
  )
  for (const name of names) await runLoops(variants[name], WARMUP_MS, CONCURRENCY)

  const results: Throughput = { manager: [], hmget: [], get: [], pairedRatios: [], recordBytes }
  const rows: string[][] = []
  for (let round = 0; round < ROUNDS; round++) {
    // A shared machine's noise comes in bursts of seconds: alternating short slices put every
    // variant of a round in the same window, so that a burst slows all of them alike.
    const totals = Object.fromEntries(
      names.map((name) => [name, { ops: 0, seconds: 0 }]),
    ) as Record<Variant, { ops: number; seconds: number }>
    for (let slice = 0; slice < slices; slice++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + slice + round) % names.length] as Variant
        const { ops, seconds } = await runLoops(variants[name], ROUND_MS / slices, CONCURRENCY)
        totals[name].ops += ops
        totals[name].seconds += seconds
      }
    }
    const measured = {} as Record<Variant, number>
    for (const name of names) {
      measured[name] = totals[name].ops / totals[name].seconds
      results[name].push(measured[name])
    }
    const paired = measured.manager / measured.hmget
    results.pairedRatios.push(paired)
    rows.push([
      String(round + 1),
      int(measured.manager),
      int(measured.hmget),
      int(measured.get),
      ratio(paired),
    ])
  }
  const medManager = median(results.manager)
  const medHmget = median(results.hmget)
  const medGet = median(results.get)
  const medPaired = median(results.pairedRatios)
  rows.push(['median', int(medManager), int(medHmget), int(medGet), ratio(medPaired)])
  console.log(
    table(['round', 'manager ops/s', 'raw HMGET ops/s', 'raw GET ops/s', 'manager/HMGET'], rows),
  )
  const low = Math.min(...results.pairedRatios)
  const high = Math.max(...results.pairedRatios)
  console.log(
    `  manager / raw HMGET: ${ratio(medPaired)} (median of per-round ratios; ratio of medians ` +
      `${ratio(medManager / medHmget)}); manager / raw GET (reference): ${ratio(medManager / medGet)}`,
  )
  console.log(
    `  per-round ratios ranged ${ratio(low)}–${ratio(high)}` +
      (high / low > 1.25 ? ' (a noisy run: rerun before drawing conclusions)' : ''),
  )
  console.log(
    `  ${medPaired >= THROUGHPUT_TARGET ? 'PASS' : 'MISS'}: target ≥ ${THROUGHPUT_TARGET}× of raw HMGET`,
  )
  return results
}

// ---------------------------------------------------------------------------------------------
// 3. The stampede

interface StampedeRun {
  refreshRequests: number
  distinctTokens: number
  errors: number
  p50: number
  p99: number
  max: number
}

async function stampede(fixture: Fixture): Promise<StampedeRun[]> {
  heading(
    `3. Stampede: ${STAMPEDE_CALLERS} callers, ${STAMPEDE_MANAGERS} managers, one expired session`,
  )
  const { bolt } = fixture
  const managers = Array.from({ length: STAMPEDE_MANAGERS }, () => {
    const { manager, store } = newManager(fixture, newClient(fixture))
    return { manager, store }
  })
  // Open every store's notification connection before the clock starts: a new backend
  // instance pays that once, not per stampede.
  for (const { store } of managers) {
    const unsubscribe = await store.subscribe('warm-up', () => {})
    unsubscribe()
  }
  const first = managers[0]?.manager
  if (first === undefined) throw new Error('no managers')

  const once = async (sessionId: string): Promise<StampedeRun> => {
    await logIn(fixture, first, sessionId)
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.resetStats()
    bolt.injectFault({ type: 'delay', ms: STAMPEDE_DELAY_MS })
    const waits: number[] = []
    const tokens = new Set<string>()
    let errors = 0
    await Promise.all(
      Array.from({ length: STAMPEDE_CALLERS }, async (_, i) => {
        const { manager } = managers[i % managers.length] as (typeof managers)[number]
        const started = performance.now()
        try {
          tokens.add(await manager.getAccessToken(sessionId))
        } catch {
          errors++
        }
        waits.push(performance.now() - started)
      }),
    )
    bolt.clearFaults()
    const refreshRequests = bolt.requests.filter((r) => r.grantType === 'refresh_token').length
    return {
      refreshRequests,
      distinctTokens: tokens.size,
      errors,
      p50: percentile(waits, 50),
      p99: percentile(waits, 99),
      max: Math.max(...waits),
    }
  }

  console.log(
    `  ${STAMPEDE_CALLERS / STAMPEDE_MANAGERS} callers per manager, each manager on its own ioredis ` +
      `client; the refresh is delayed ${STAMPEDE_DELAY_MS} ms by the emulator; one unreported warm-up run`,
  )
  await once('stampede-warm-up')
  const runs: StampedeRun[] = []
  for (let run = 0; run < STAMPEDE_RUNS; run++) runs.push(await once(`stampede-${run + 1}`))

  const rows = runs.map((run, i) => [
    String(i + 1),
    String(run.refreshRequests),
    String(run.distinctTokens),
    String(run.errors),
    ms(run.p50),
    ms(run.p99),
    ms(run.max),
  ])
  rows.push([
    'median',
    String(median(runs.map((r) => r.refreshRequests))),
    String(median(runs.map((r) => r.distinctTokens))),
    String(median(runs.map((r) => r.errors))),
    ms(median(runs.map((r) => r.p50))),
    ms(median(runs.map((r) => r.p99))),
    ms(median(runs.map((r) => r.max))),
  ])
  console.log(
    table(
      ['run', 'refresh requests', 'distinct tokens', 'errors', 'p50 wait', 'p99 wait', 'max'],
      rows,
    ),
  )
  const exactlyOnce = runs.every(
    (r) => r.refreshRequests === 1 && r.distinctTokens === 1 && r.errors === 0,
  )
  console.log(
    `  ${exactlyOnce ? 'PASS' : 'MISS'}: exactly one refresh request per stampede, every caller got the same token`,
  )
  return runs
}

// ---------------------------------------------------------------------------------------------

async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000)
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

async function main(): Promise<void> {
  const redis = await resolveRedis()
  const prefix = `bench:${randomBytes(6).toString('hex')}:`
  const bolt = await startBoltEmulator()
  const fixture: Fixture = { url: redis.url, prefix, bolt, clients: [], stores: [] }
  const admin = newClient(fixture)
  let interrupted = false
  const onSignal = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    console.error('\nbench: interrupted, cleaning up (Ctrl-C again to force)')
    cleanup().finally(() => process.exit(130))
  }
  let cleaning: Promise<void> | undefined
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const store of fixture.stores) await store.close().catch(() => {})
      try {
        const deleted = await deleteKeys(admin, prefix)
        console.log(`\ncleanup: deleted ${deleted} key(s) under ${prefix}`)
      } catch (error) {
        console.error(`cleanup: could not delete the keys under ${prefix}: ${String(error)}`)
      }
      for (const client of fixture.clients) client.disconnect()
      await bolt.close().catch(() => {})
      await redis.stop()
    })()
    return cleaning
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    const info = await admin.info('server')
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
    const cpu = cpus()
    heading('bolt-token-lifecycle Redis benchmark')
    console.log(
      table(
        ['machine', ''],
        [
          ['node', process.version],
          ['cpu', cpu[0]?.model.trim() ?? 'unknown'],
          ['cores', String(cpu.length)],
          ['redis', `${redisVersion} (${redis.origin})`],
          ['key prefix', prefix],
        ].map(([name, value]) => [name ?? '', value ?? '']),
        [0, 1],
      ),
    )
    const started = performance.now()
    const commands = await commandsPerRead(fixture)
    const reads = await throughput(fixture)
    const runs = await stampede(fixture)

    heading('Summary')
    const paired = median(reads.pairedRatios)
    console.log(
      table(
        ['metric', 'measured', 'target', ''],
        [
          [
            'commands per valid-token read',
            commands.measured
              ? `${commands.perRead} (${[...commands.names.keys()].join(', ')})`
              : 'not measured',
            '1 (HMGET)',
            commands.measured ? (commands.perRead === 1 ? 'PASS' : 'MISS') : 'n/a',
          ],
          [
            `valid-token ops/s at ${CONCURRENCY} conc.`,
            `${int(median(reads.manager))} (HMGET ${int(median(reads.hmget))}, GET ${int(median(reads.get))})`,
            '',
            '',
          ],
          [
            'manager / raw HMGET',
            ratio(paired),
            `≥ ${THROUGHPUT_TARGET}×`,
            paired >= THROUGHPUT_TARGET ? 'PASS' : 'MISS',
          ],
          [
            'stampede refresh requests',
            runs.map((r) => r.refreshRequests).join(' '),
            '1 each',
            runs.every((r) => r.refreshRequests === 1) ? 'PASS' : 'MISS',
          ],
          [
            'stampede wait p50 / p99 (median)',
            `${ms(median(runs.map((r) => r.p50)))} / ${ms(median(runs.map((r) => r.p99)))}`,
            '',
            '',
          ],
        ],
        [0, 1, 2],
      ),
    )
    console.log(`\n  total ${((performance.now() - started) / 1_000).toFixed(1)} s`)
  } finally {
    await cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error)
  process.exitCode = 1
})
