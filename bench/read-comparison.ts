/**
 * The throughput half of every `*-hit` section: the manager's valid-token read against the raw
 * client's read of the same record, in interleaved rounds, printed as a table of per-round
 * rates and ratios.
 *
 * @module
 */

import { int, ratio, table } from './format.js'
import { interleave, median, pairedRatios, runLoops } from './rounds.js'
import type { Settings } from './settings.js'

/** One read of session `loop`, by the manager and by the raw client. */
export interface ReadOps {
  manager: (loop: number) => Promise<unknown>
  raw: (loop: number) => Promise<unknown>
}

/** The medians of a {@link compareReads} run, and the per-round ratios behind the last. */
export interface ReadComparison {
  manager: number
  raw: number
  ratio: number
  ratios: number[]
}

/**
 * Runs `ops` in `settings.rounds` interleaved rounds of 1.5 s per variant (250 ms slices, 0.75 s
 * warm-up, all times `settings.scale`), `concurrency` loops each, and prints the table. `what`
 * describes the set-up on the first line; `rawName` names the raw read in the table (`GET`).
 */
export async function compareReads(
  settings: Pick<Settings, 'rounds' | 'scale'>,
  ops: ReadOps,
  { concurrency, what, rawName }: { concurrency: number; what: string; rawName: string },
): Promise<ReadComparison> {
  const slice = (name: keyof ReadOps) => (durationMs: number) =>
    runLoops(ops[name], durationMs, concurrency)
  const roundMs = 1_500 * settings.scale
  console.log(
    `  ${what}; loop i reads session i; ` +
      `${settings.rounds} rounds of ${roundMs} ms per variant in alternating ${250 * settings.scale} ms slices`,
  )
  const perRound = await interleave(
    { manager: slice('manager'), raw: slice('raw') },
    {
      rounds: settings.rounds,
      roundMs,
      sliceMs: 250 * settings.scale,
      warmupMs: 750 * settings.scale,
    },
  )
  const ratios = pairedRatios(perRound.manager, perRound.raw)
  const rows = perRound.manager.map((value, round) => [
    String(round + 1),
    int(value),
    int(perRound.raw[round] as number),
    ratio(ratios[round] as number),
  ])
  const result = {
    manager: median(perRound.manager),
    raw: median(perRound.raw),
    ratio: median(ratios),
    ratios,
  }
  rows.push(['median', int(result.manager), int(result.raw), ratio(result.ratio)])
  console.log(table(['round', 'manager ops/s', `raw ${rawName} ops/s`, `mgr/${rawName}`], rows))
  return result
}

/** The per-round ratios, for a metric's description. */
export function listRatios(ratios: number[]): string {
  return ratios.map((r) => r.toFixed(3)).join(' ')
}
