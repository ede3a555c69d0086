/**
 * Runs one smoke scenario on one runtime, then checks what the emulator saw: the runtime
 * must report a passing lifecycle AND the emulator must have seen exactly one lifecycle.
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type BoltEmulator, emulatorManagerOptions } from '../../src/emulator/index.js'
import {
  describeScenario,
  RESULT_PREFIX,
  type Scenario,
  type SmokeOutcome,
  type SmokeRequest,
} from '../smoke/scenario.js'
import { emulatorProblems } from './emulator-checks.js'
import type { PackedPackage } from './package.js'
import type { MatrixPostgres } from './postgres.js'
import { describeExit, runCommand } from './process.js'
import type { MatrixRedis } from './redis.js'
import type { ProcessRuntime } from './runtimes.js'

/** How one scenario went. */
export interface ScenarioResult {
  scenario: Scenario
  ok: boolean
  /** Empty when `ok`. */
  problems: string[]
  durationMs: number
}

/** What every scenario run needs. */
export interface SmokeContext {
  bolt: BoltEmulator
  packed: PackedPackage
  redis: MatrixRedis | { missing: string }
  /** The REST test server in front of that Redis, for the `upstash` scenarios. */
  upstash?: { url: string; token: string } | { missing: string } | undefined
  postgres: MatrixPostgres | { missing: string }
  log: (line: string) => void
}

/** Where the scenario runs: a process per scenario, or a running workerd. */
export type SmokeTarget =
  | { kind: 'process'; runtime: ProcessRuntime }
  | { kind: 'workerd'; url: string }

const SCENARIO_TIMEOUT_MS = 60_000

/** Forwards progress lines to `log` and keeps the `RESULT` line's outcome. */
function lineReader(log: (line: string) => void) {
  let outcome: SmokeOutcome | undefined
  return {
    onLine(line: string) {
      if (line.startsWith(RESULT_PREFIX)) outcome = JSON.parse(line.slice(RESULT_PREFIX.length))
      else if (line.trim() !== '') log(`      ${line}`)
    },
    outcome: () => outcome,
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  // tsx's loader must not leak into the runtimes under test.
  delete env.NODE_OPTIONS
  return env
}

async function runInProcess(
  runtime: ProcessRuntime,
  request: SmokeRequest,
  context: SmokeContext,
): Promise<string[]> {
  const reader = lineReader(context.log)
  const result = await runCommand(
    runtime.binary,
    runtime.args(context.packed.smokeMain, JSON.stringify(request)),
    {
      cwd: context.packed.dir,
      env: childEnv(),
      timeoutMs: SCENARIO_TIMEOUT_MS,
      onLine: reader.onLine,
      onErrorLine: (line) => context.log(`      stderr: ${line}`),
    },
  )
  const outcome = reader.outcome()
  if (outcome === undefined) return [`no result (${describeExit(result)})`]
  if (!outcome.ok) return [outcome.error]
  return result.exitCode === 0 ? [] : [`passed but exited with ${describeExit(result)}`]
}

async function runOnWorkerd(
  url: string,
  request: SmokeRequest,
  context: SmokeContext,
): Promise<string[]> {
  const reader = lineReader(context.log)
  const response = await fetch(`${url}/smoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(SCENARIO_TIMEOUT_MS),
  })
  if (response.status !== 200 || response.body === null) {
    return [`POST /smoke answered ${response.status}: ${(await response.text()).slice(0, 500)}`]
  }
  let pending = ''
  for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) reader.onLine(line)
  }
  if (pending !== '') reader.onLine(pending)
  const outcome = reader.outcome()
  if (outcome === undefined) return ['the worker answered no result']
  return outcome.ok ? [] : [outcome.error]
}

/** Runs `scenario` on `target` against a freshly reset emulator, and checks what it saw. */
export async function runScenario(
  target: SmokeTarget,
  scenario: Scenario,
  context: SmokeContext,
): Promise<ScenarioResult> {
  const started = performance.now()
  const done = (problems: string[]): ScenarioResult => ({
    scenario,
    ok: problems.length === 0,
    problems,
    durationMs: performance.now() - started,
  })
  const { bolt, redis, postgres, upstash = { missing: 'not started' } } = context
  if (scenario.store === 'redis' && 'missing' in redis) {
    return done([`no Redis: ${redis.missing}`])
  }
  if (scenario.store === 'upstash' && 'missing' in upstash) {
    return done([`no Upstash REST test server: ${upstash.missing}`])
  }
  if (scenario.store === 'postgres' && 'missing' in postgres) {
    return done([`no PostgreSQL: ${postgres.missing}`])
  }
  const request: SmokeRequest = {
    scenario,
    // Without the clock: it cannot travel to another runtime, which follows it over HTTP.
    connection: emulatorManagerOptions({
      clientId: bolt.clientId,
      clientSecret: bolt.clientSecret,
      url: bolt.url,
    }),
    ...(scenario.store === 'redis' && 'url' in redis ? { redisUrl: redis.url } : {}),
    ...(scenario.store === 'upstash' && 'url' in upstash
      ? { upstash: { url: upstash.url, token: upstash.token } }
      : {}),
    // A new KV file per run, in a folder of its own under the scratch folder.
    ...(scenario.store === 'deno-kv'
      ? { kvPath: join(context.packed.dir, 'deno-kv', `${crypto.randomUUID()}.sqlite3`) }
      : {}),
    ...(scenario.store === 'postgres' && 'url' in postgres ? { postgresUrl: postgres.url } : {}),
  }
  if (request.kvPath !== undefined) mkdirSync(dirname(request.kvPath), { recursive: true })
  bolt.resetStats()
  context.log(`    ${describeScenario(scenario)}`)
  try {
    const problems =
      target.kind === 'process'
        ? await runInProcess(target.runtime, request, context)
        : await runOnWorkerd(target.url, request, context)
    // What Bolt saw counts only when the runtime itself passed.
    return done(problems.length > 0 ? problems : emulatorProblems(bolt))
  } catch (error) {
    return done([error instanceof Error ? error.message : String(error)])
  }
}
