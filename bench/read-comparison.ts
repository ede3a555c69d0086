/**
 * The throughput half of every `*-hit` section: the manager's valid-token read against the raw
 * client's read of the same record, in interleaved rounds, printed as a table of per-round
 * rates and ratios.
 *
 * The timing ({@link interleaveReads}) is apart from the printing ({@link reportReads}) and has
 * no Node-only import: the Durable Objects section runs it inside workerd, where its store
 * runs, and prints the rounds it gets back here.
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

/** The ops/s of each variant, one value per round. */
export interface ReadRounds {
  manager: number[]
  raw: number[]
}

/** The medians of a {@link compareReads} run, and the per-round ratios behind the last. */
export interface ReadComparison {
  manager: number
  raw: number
  ratio: number
  ratios: number[]
}

/** What {@link interleaveReads} and {@link describeReads} take from the settings. */
export type ReadSettings = Pick<Settings, 'rounds' | 'scale'>

/** The first line of a comparison: `what` (the set-up), the loops and the rounds. */
export function describeReads(settings: ReadSettings, what: string): void {
  console.log(
    `  ${what}; loop i reads session i; ` +
      `${settings.rounds} rounds of ${1_500 * settings.scale} ms per variant in alternating ${250 * settings.scale} ms slices`,
  )
}

/**
 * Runs `ops` in `settings.rounds` interleaved rounds of 1.5 s per variant (250 ms slices, 0.75 s
 * warm-up, all times `settings.scale`), `concurrency` loops each.
 */
export function interleaveReads(
  settings: ReadSettings,
  ops: ReadOps,
  concurrency: number,
): Promise<ReadRounds> {
  const slice = (name: keyof ReadOps) => (durationMs: number) =>
    runLoops(ops[name], durationMs, concurrency)
  return interleave(
    { manager: slice('manager'), raw: slice('raw') },
    {
      rounds: settings.rounds,
      roundMs: 1_500 * settings.scale,
      sliceMs: 250 * settings.scale,
      warmupMs: 750 * settings.scale,
    },
  )
}

/** Prints the per-round table of `perRound` and returns its medians; `rawName` names the raw read (`GET`). */
export function reportReads(perRound: ReadRounds, rawName: string): ReadComparison {
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

/**
 * {@link describeReads}, {@link interleaveReads} and {@link reportReads}: `what` describes the
 * set-up on the first line; `rawName` names the raw read in the table (`GET`).
 */
export async function compareReads(
  settings: ReadSettings,
  ops: ReadOps,
  { concurrency, what, rawName }: { concurrency: number; what: string; rawName: string },
): Promise<ReadComparison> {
  describeReads(settings, what)
  return reportReads(await interleaveReads(settings, ops, concurrency), rawName)
}

/** The per-round ratios, for a metric's description. */
export function listRatios(ratios: number[]): string {
  return ratios.map((r) => r.toFixed(3)).join(' ')
}
