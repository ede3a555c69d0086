/**
 * The runtime matrix: `npm run test:runtimes` (`-- --only node24,bun,…` for some rows).
 *
 * Installs the pinned runtimes (runtimes/package.json) when needed, packs the package as
 * users get it, starts the Bolt emulator (and Redis; finds PostgreSQL) here in Node, and runs the lifecycle
 * smoke test on Node 20, Node 24, Bun, Deno and workerd, then the Hono example on workerd.
 * Prints a table, writes runtimes/results.json and the README's runtimes block (full runs
 * only), and exits 1 when anything failed.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startBoltEmulator } from '../src/emulator/index.js'
import { ensureRuntimes } from './lib/install.js'
import { preparePackage } from './lib/package.js'
import { acquirePostgres } from './lib/postgres.js'
import { acquireRedis } from './lib/redis.js'
import { consoleTable, type RuntimeRow, updateReadme, writeResults } from './lib/report.js'
import { runHonoExample, runRuntime } from './lib/run-runtime.js'
import { matrixRuntimes } from './lib/runtimes.js'
import { startUpstash } from './lib/upstash.js'

const HONO_EXAMPLE = 'hono-workerd'
const README = fileURLToPath(new URL('../README.md', import.meta.url))
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url))

const log = (line: string) => console.log(line)
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** The ids after `--only` (comma-separated), or `null` for the whole matrix. */
function selection(argv: readonly string[]): Set<string> | null {
  const index = argv.indexOf('--only')
  if (index === -1) return null
  const ids = (argv[index + 1] ?? '').split(',').filter((id) => id !== '')
  if (ids.length === 0) throw new Error('--only needs ids, e.g. --only node24,bun,hono-workerd')
  return new Set(ids)
}

async function main(): Promise<boolean> {
  const started = performance.now()
  const only = selection(process.argv.slice(2))
  const all = matrixRuntimes()
  const known = [...all.map((runtime) => runtime.id), HONO_EXAMPLE]
  const unknown = [...(only ?? [])].filter((id) => !known.includes(id))
  if (unknown.length > 0) throw new Error(`unknown --only ids ${unknown}; known: ${known}`)
  const runtimes = all.filter((runtime) => only === null || only.has(runtime.id))
  const runHono = only === null || only.has(HONO_EXAMPLE)
  const date = new Date().toISOString().slice(0, 10)
  log(`bolt-token-lifecycle runtime matrix (${date}, ${process.platform}-${process.arch})`)

  const installMs = await ensureRuntimes(log)
  const packageStarted = performance.now()
  const packed = await preparePackage(log)
  const packageMs = performance.now() - packageStarted
  const bolt = await startBoltEmulator()
  log(`emulator: ${bolt.url} (in this Node process)`)
  const needs = (store: string) => runtimes.some((r) => r.scenarios.some((s) => s.store === store))
  const needsRedis = needs('redis') || needs('upstash')
  const redis = needsRedis ? await acquireRedis() : { missing: 'not needed' }
  if (needsRedis) log(`redis: ${'url' in redis ? redis.description : `MISSING: ${redis.missing}`}`)
  const upstash = needs('upstash') ? await startUpstash(redis, log) : undefined
  const needsPostgres = runtimes.some((runtime) =>
    runtime.scenarios.some((s) => s.store === 'postgres'),
  )
  const postgres = needsPostgres ? await acquirePostgres() : { missing: 'not needed' }
  if (needsPostgres) {
    log(`postgres: ${'url' in postgres ? postgres.description : `MISSING: ${postgres.missing}`}`)
  }

  const runsStarted = performance.now()
  const rows: RuntimeRow[] = []
  try {
    for (const runtime of runtimes) {
      rows.push(await runRuntime(runtime, { bolt, packed, redis, postgres, upstash, log }, date))
    }
    const workerd = all.find((runtime) => runtime.kind === 'workerd')
    if (runHono && workerd !== undefined) {
      const hono = JSON.parse(
        await readFile(new URL('../node_modules/hono/package.json', import.meta.url), 'utf8'),
      ) as { version: string }
      rows.push(
        await runHonoExample({
          workerd,
          honoVersion: hono.version,
          packageDir: packed.dir,
          log,
          date,
        }),
      )
    }
  } finally {
    await bolt.close()
    if (upstash !== undefined && 'close' in upstash) await upstash.close()
    if ('stop' in redis) await redis.stop()
  }
  const runsMs = performance.now() - runsStarted
  const totalMs = performance.now() - started
  const passed = rows.every((row) => row.result === 'passed')
  if (passed) await packed.remove()
  else log(`\nscratch folder kept for inspection: ${packed.dir}`)

  log(`\n${consoleTable(rows)}\n`)
  if (only === null) {
    await writeResults(RESULTS, {
      date,
      platform: `${process.platform}-${process.arch}`,
      redis: 'url' in redis ? redis.description : `none: ${redis.missing}`,
      postgres: 'url' in postgres ? postgres.description : `none: ${postgres.missing}`,
      durationMs: {
        install: installMs === null ? null : Math.round(installMs),
        package: Math.round(packageMs),
        runs: Math.round(runsMs),
        total: Math.round(totalMs),
      },
      runtimes: rows,
    })
    await updateReadme(README, rows, {
      redis: 'url' in redis ? redis.version : 'none (those runs failed)',
      postgres: 'url' in postgres ? postgres.version : 'none (those runs failed)',
    })
    log('wrote runtimes/results.json and the README runtimes table')
  } else {
    log('--only: runtimes/results.json and the README are left as they were')
  }
  const install = installMs === null ? 'already installed' : seconds(installMs)
  log(
    `time: runtimes install ${install}, build + pack + scratch install ${seconds(packageMs)}, ` +
      `runs ${seconds(runsMs)}, total ${seconds(totalMs)}`,
  )
  for (const row of rows.filter((row) => row.result === 'failed')) {
    log(`FAILED ${row.runtime} ${row.version}:\n  ${row.problems.join('\n  ')}`)
  }
  return passed
}

main().then(
  (passed) => {
    process.exitCode = passed ? 0 : 1
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exitCode = 1
  },
)
