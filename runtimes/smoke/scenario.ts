/**
 * One smoke run's parameters and outcome, and the line protocol that carries them from a
 * runtime under test to the parent: progress lines, then one `RESULT {json}` line.
 */
import type { HttpTransport, TokenStore } from 'bolt-token-lifecycle'
import { createFetchTransport } from 'bolt-token-lifecycle/fetch'
import { createKyTransport } from 'bolt-token-lifecycle/ky'
import ky from 'ky'
import { emulatorControl } from './emulator-control.js'
import { type LifecycleReport, runLifecycle } from './lifecycle.js'

/** A store and a transport to run the lifecycle with. */
export interface Scenario {
  store: 'memory' | 'redis' | 'durable-object' | 'upstash' | 'deno-kv' | 'postgres'
  transport: 'fetch' | 'ky'
}

/** What the parent sends a runtime: the scenario and where Bolt (and Redis or PostgreSQL) are. */
export interface SmokeRequest {
  scenario: Scenario
  /** Where the emulator is and its keys: `emulatorManagerOptions(bolt)` without the clock. */
  connection: { clientId: string; clientSecret: string; baseUrl: string }
  /** Required by the `redis` store. */
  redisUrl?: string
  /** Required by the `upstash` store: the REST test server (test/support/upstash-server.ts). */
  upstash?: { url: string; token: string }
  /** Required by the `deno-kv` store: the KV file Deno opens. */
  kvPath?: string
  /** Required by the `postgres` store. */
  postgresUrl?: string
}

/** The runtime's answer: the report, or the first failure and the steps that passed before it. */
export type SmokeOutcome =
  | { ok: true; report: LifecycleReport }
  | { ok: false; error: string; steps: string[] }

/** The prefix of the line that carries the {@link SmokeOutcome} as JSON. */
export const RESULT_PREFIX = 'RESULT '

/** `memory + fetch`, for output. */
export function describeScenario(scenario: Scenario): string {
  return `${scenario.store} + ${scenario.transport}`
}

function transportOf(scenario: Scenario): HttpTransport {
  return scenario.transport === 'ky' ? createKyTransport(ky) : createFetchTransport()
}

/**
 * Runs the lifecycle on `store`, writing a progress line per step and then the result line
 * through `write`. Never rejects: a failure becomes `{ ok: false }`.
 */
export async function runSmoke(
  request: SmokeRequest,
  store: TokenStore,
  write: (line: string) => void,
): Promise<SmokeOutcome> {
  const steps: string[] = []
  let outcome: SmokeOutcome
  try {
    const report = await runLifecycle({
      connection: request.connection,
      store,
      http: transportOf(request.scenario),
      emulator: emulatorControl(request.connection.baseUrl, {
        apiKey: request.connection.clientSecret,
        publishableKey: request.connection.clientId,
      }),
      onStep(step) {
        steps.push(step)
        write(`✓ ${step}`)
      },
    })
    outcome = { ok: true, report }
  } catch (error) {
    outcome = { ok: false, error: describeError(error), steps }
  }
  write(`${RESULT_PREFIX}${JSON.stringify(outcome)}`)
  return outcome
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? describeError(error.cause) : ''
  return cause === '' || error.message.includes(cause)
    ? error.message
    : `${error.message} (cause: ${cause})`
}
