/**
 * Counts what the valid-token path must never do (DESIGN §3): run the XState machine, parse
 * JSON, or send an HTTP request. The probe wraps the token machine's methods, `JSON.parse`
 * and `fetch` for the duration of one callback, in this process.
 *
 * @module
 */
import { tokenMachine } from '../src/machine/token-machine.js'

/** Calls seen while the probe was on. */
export interface SlowPathCalls {
  /** `transition`, `resolveState`, `getInitialSnapshot` and `microstep` of the token machine. */
  xstate: number
  jsonParse: number
  fetch: number
}

/** Total of a {@link SlowPathCalls}. */
export function totalCalls(calls: SlowPathCalls): number {
  return calls.xstate + calls.jsonParse + calls.fetch
}

const MACHINE_METHODS = ['transition', 'resolveState', 'getInitialSnapshot', 'microstep'] as const

/** Runs `work` with the probe on and returns what it counted. */
export async function probeSlowPath(work: () => Promise<void>): Promise<SlowPathCalls> {
  const calls: SlowPathCalls = { xstate: 0, jsonParse: 0, fetch: 0 }
  const machine = tokenMachine as unknown as Record<string, (...args: unknown[]) => unknown>
  const parse = JSON.parse
  const realFetch = globalThis.fetch
  for (const name of MACHINE_METHODS) {
    const method = machine[name] as (...args: unknown[]) => unknown
    // An own property shadows the prototype's method; deleted again below.
    machine[name] = function (this: unknown, ...args: unknown[]) {
      calls.xstate++
      return method.apply(this, args)
    }
  }
  JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
    calls.jsonParse++
    return parse(...args)
  }
  globalThis.fetch = (...args: Parameters<typeof fetch>) => {
    calls.fetch++
    return realFetch(...args)
  }
  try {
    await work()
  } finally {
    for (const name of MACHINE_METHODS) delete machine[name]
    JSON.parse = parse
    globalThis.fetch = realFetch
  }
  return calls
}
