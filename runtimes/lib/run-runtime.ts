/** One row of the matrix: a runtime's scenarios, or the Hono example on workerd. */
import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { runHonoWorkerdFlow } from '../../examples/hono-workerd/flow-test.js'
import { describeScenario } from '../smoke/scenario.js'
import { describeScenarios, type RuntimeRow } from './report.js'
import type { Runtime } from './runtimes.js'
import {
  runScenario,
  type ScenarioResult,
  type SmokeContext,
  type SmokeTarget,
} from './smoke-runner.js'
import {
  COMPATIBILITY_DATE,
  type RunningWorkerd,
  smokeWorkerConfig,
  startWorkerd,
} from './workerd.js'

/** The compatibility date the workers run with (defined next to `startWorkerd`). */
export { COMPATIBILITY_DATE }

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** The runtime's version; a runtime that cannot tell it has failed. */
async function versionOf(runtime: Runtime, problems: string[]): Promise<string> {
  try {
    return await runtime.version()
  } catch (error) {
    problems.push(
      `${runtime.name} --version failed: ${error instanceof Error ? error.message : error}`,
    )
    return 'unknown'
  }
}

function logScenario(result: ScenarioResult, log: (line: string) => void): void {
  const mark = result.ok ? '✓ passed' : '✗ FAILED'
  log(`    ${mark}: ${describeScenario(result.scenario)} (${seconds(result.durationMs)})`)
  for (const problem of result.problems) log(`      ${problem}`)
}

/** Runs every scenario of `runtime`; prints its name, version and result as it goes. */
export async function runRuntime(
  runtime: Runtime,
  context: SmokeContext,
  date: string,
): Promise<RuntimeRow> {
  const { log } = context
  const started = performance.now()
  const problems: string[] = []
  const version = await versionOf(runtime, problems)
  log(`\n▶ ${runtime.name} ${version}`)
  const results: ScenarioResult[] = []
  let workerd: RunningWorkerd | undefined
  try {
    let target: SmokeTarget
    if (runtime.kind === 'workerd') {
      const config = join(dirname(context.packed.workerBundle), 'config.capnp')
      await writeFile(config, smokeWorkerConfig(COMPATIBILITY_DATE))
      workerd = await startWorkerd({ binary: runtime.binary, config })
      log(`  workerd serves the smoke worker on ${workerd.url}`)
      target = { kind: 'workerd', url: workerd.url }
    } else {
      target = { kind: 'process', runtime }
    }
    for (const scenario of runtime.scenarios) {
      const result = await runScenario(target, scenario, context)
      logScenario(result, log)
      results.push(result)
      problems.push(...result.problems.map((p) => `${describeScenario(scenario)}: ${p}`))
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error))
  } finally {
    await workerd?.stop()
  }
  const passed = problems.length === 0 && results.length === runtime.scenarios.length
  const row: RuntimeRow = {
    runtime: runtime.name,
    version,
    exercised: describeScenarios(runtime.scenarios),
    result: passed ? 'passed' : 'failed',
    problems,
    durationMs: Math.round(performance.now() - started),
    date,
    scenarios: results.map((result) => ({
      scenario: describeScenario(result.scenario),
      result: result.ok ? 'passed' : 'failed',
      durationMs: Math.round(result.durationMs),
    })),
  }
  log(`◀ ${runtime.name} ${version}: ${passed ? 'passed' : 'FAILED'} (${seconds(row.durationMs)})`)
  return row
}

/** The Hono example on workerd, both variants (tokens in memory, in Durable Objects), through its flow test. */
export async function runHonoExample(options: {
  workerd: Runtime
  honoVersion: string
  packageDir: string
  log: (line: string) => void
  date: string
}): Promise<RuntimeRow> {
  const { log } = options
  const started = performance.now()
  const problems: string[] = []
  const version = `${await versionOf(options.workerd, problems)}, Hono ${options.honoVersion}`
  log(`\n▶ workerd: the Hono example (examples/hono-workerd) ${version}`)
  for (const variant of ['memory', 'durable-objects'] as const) {
    log(`    ${variant}`)
    try {
      await runHonoWorkerdFlow({
        workerd: options.workerd.binary,
        packageDir: options.packageDir,
        variant,
        onStep: (step) => log(`      ✓ ${step}`),
      })
    } catch (error) {
      const message = `${variant}: ${error instanceof Error ? error.message : String(error)}`
      problems.push(message)
      for (const line of message.split('\n')) log(`    ✗ ${line}`)
    }
  }
  const row: RuntimeRow = {
    runtime: 'workerd: Hono example',
    version,
    exercised: 'examples/hono-workerd over HTTP (memory + fetch, durable-object + fetch)',
    result: problems.length === 0 ? 'passed' : 'failed',
    problems,
    durationMs: Math.round(performance.now() - started),
    date: options.date,
  }
  log(
    `◀ workerd: the Hono example: ${row.result === 'passed' ? 'passed' : 'FAILED'} (${seconds(row.durationMs)})`,
  )
  return row
}
