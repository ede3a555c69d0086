// `npm run bench`: runs every section, prints the metrics against their targets, and writes
// bench/results.json. A script, not a test: a missed target never changes the exit code (on a
// shared, noisy machine that would make it flaky by design); only a failure to run does.
import { writeFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Section, SectionContext } from './context.js'
import { denoKvHit } from './deno-kv-hit.js'
import { durableObjectHit } from './durable-object-hit.js'
import { startRemoteEmulator } from './emulator.js'
import { heading, table } from './format.js'
import { herd } from './herd.js'
import { machineInfo } from './machine-info.js'
import { memoryHit } from './memory-hit.js'
import { memorySize } from './memory-size.js'
import { type Metric, type Metrics, notMeasured } from './metrics.js'
import { postgresHit } from './postgres-hit.js'
import { redisHit } from './redis-hit.js'
import { resolveRedis } from './redis-target.js'
import { refresh } from './refresh.js'
import { readSettings, type SectionName } from './settings.js'
import { stampede } from './stampede.js'
import { TARGETS } from './targets.js'
import { upstashHit } from './upstash-hit.js'

const DEFAULT_OUT = fileURLToPath(new URL('./results.json', import.meta.url))

const sections: Record<SectionName, Section> = {
  'memory-hit': memoryHit,
  'redis-hit': redisHit,
  'upstash-hit': upstashHit,
  'deno-kv-hit': denoKvHit,
  'postgres-hit': postgresHit,
  'durable-object-hit': durableObjectHit,
  herd,
  refresh,
  stampede,
  'memory-size': memorySize,
}

function formatValue(metric: Metric | undefined): string {
  if (metric === undefined) return 'not run'
  if (metric.value === null) return 'not measured'
  const { value, unit } = metric
  const digits = unit === '×' ? 3 : Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1
  const number = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
  return unit === '×' ? `${number}×` : `${number} ${unit}`
}

/** The metric with its value cut to the precision the run supports. */
function rounded(metric: Metric): Metric {
  if (metric.value === null) return metric
  const digits = metric.unit === '×' ? 3 : 1
  return { ...metric, value: Number(metric.value.toFixed(digits)) }
}

async function main(): Promise<void> {
  const settings = readSettings(DEFAULT_OUT)
  const machine = machineInfo()
  const started = performance.now()
  heading('bolt-token-lifecycle benchmarks')
  const { target: redis, why: noRedis } = await resolveRedis()
  console.log(
    table(
      ['machine', ''],
      [
        ['node', machine.node],
        ['cpu', machine.cpu],
        ['cores', `${machine.cores} (shared: other work may run alongside)`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['redis', redis === null ? `none: ${noRedis}` : `${redis.version} (${redis.origin})`],
        ['sections', settings.only.join(', ')],
        [
          'rounds',
          `${settings.rounds}${settings.rounds < 5 ? ' (quick look: not for publishing)' : ''}`,
        ],
        [
          'scale',
          `${settings.scale}${settings.scale < 1 ? ' (quick look: not for publishing)' : ''}`,
        ],
      ],
      [0, 1],
    ),
  )
  if (redis === null) {
    console.log(
      `\n  !!! NO REDIS: the Redis metrics will be recorded as not measured (${noRedis}).`,
    )
  }

  const emulator = await startRemoteEmulator()
  const context: SectionContext = { settings, emulator, redis }
  const metrics: Metrics = {}
  let interrupted = false
  const onSignal = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    console.error('\nbench: interrupted, cleaning up (Ctrl-C again to force)')
    void cleanup().finally(() => process.exit(130))
  }
  const cleanup = async () => {
    await emulator.close().catch(() => {})
    await redis?.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    for (const name of settings.only) Object.assign(metrics, await sections[name](context))
  } finally {
    await cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  // A full run's results name every targeted metric, measured or not.
  for (const target of TARGETS) {
    if (
      settings.only.length === Object.keys(sections).length &&
      metrics[target.metric] === undefined
    )
      metrics[target.metric] = notMeasured('', 'its section did not report it')
  }

  heading('Summary')
  const targeted = new Set(TARGETS.map((target) => target.metric))
  const rows = TARGETS.map((target) => [
    target.metric,
    formatValue(metrics[target.metric]),
    target.text,
    target.judge(metrics),
  ])
  for (const [name, metric] of Object.entries(metrics)) {
    if (!targeted.has(name)) rows.push([name, formatValue(metric), '', ''])
  }
  console.log(table(['metric', 'value', 'target', ''], rows, [0, 2]))
  const seconds = (performance.now() - started) / 1_000
  console.log(`\n  total ${seconds.toFixed(1)} s`)

  if (settings.out !== null) {
    const verdicts = Object.fromEntries(
      TARGETS.map((target) => [
        target.metric,
        { target: target.text, verdict: target.judge(metrics) },
      ]),
    )
    const results = {
      date: new Date().toISOString(),
      node: machine.node,
      cpu: machine.cpu,
      cores: machine.cores,
      redis: redis === null ? null : redis.version,
      rounds: settings.rounds,
      seconds: Math.round(seconds),
      results: Object.fromEntries(
        Object.entries(metrics).map(([name, metric]) => [name, rounded(metric)]),
      ),
      targets: verdicts,
    }
    await writeFile(settings.out, `${JSON.stringify(results, null, 2)}\n`)
    console.log(`  wrote ${settings.out}`)
  } else {
    console.log('  partial or shortened run: no results file written (BENCH_OUT=path to write one)')
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error)
  process.exitCode = 1
})
