/**
 * Progress of `sessions reencrypt` on standard error: a bar redrawn in place on a terminal,
 * plain lines (at most one per `intervalMs`) when the output is a file or a pipe, so that logs
 * stay readable. Only counts, never a key or a record.
 *
 * @module
 */
import type { ReencryptCounts } from './checkpoint.js'

/** Where progress goes and how. */
export interface ProgressOptions {
  write: (text: string) => void
  /** Draw a bar in place (a terminal) instead of plain lines. */
  isTTY: boolean
  /** The least time between two plain lines, in ms (`0`: a line per batch). */
  intervalMs: number
  /** How many records there are about (`exact: false`: an upper bound, e.g. Redis' DBSIZE). */
  estimate: { count: number; exact: boolean }
  /** Milliseconds since some start, for throttling. */
  now?: () => number
}

const BAR_WIDTH = 24
/** Redraws of the bar per second, at most. */
const BAR_INTERVAL_MS = 100

/** The counts as one line: `scanned 600 of 1000 · rewritten 550 · …`. */
export function countsLine(
  counts: ReencryptCounts,
  estimate?: ProgressOptions['estimate'],
): string {
  const of = estimate === undefined ? '' : ` of ${estimate.exact ? '' : '≤'}${estimate.count}`
  return [
    `scanned ${counts.scanned}${of}`,
    `rewritten ${counts.rewritten}`,
    `already current ${counts.alreadyCurrent}`,
    `skipped (changed) ${counts.skippedChanged}`,
    `unreadable ${counts.unreadable}`,
  ].join(' · ')
}

/** Creates the progress display. */
export function createProgress(options: ProgressOptions) {
  const now = options.now ?? (() => performance.now())
  let last = Number.NEGATIVE_INFINITY
  let printed = ''
  const line = (counts: ReencryptCounts) => `reencrypt: ${countsLine(counts, options.estimate)}\n`

  function bar(counts: ReencryptCounts, complete = false): string {
    const total = Math.max(options.estimate.count, counts.scanned, 1)
    // An estimate may be an upper bound (Redis counts every key): the end is 100% whatever it said.
    const share = complete ? 1 : Math.min(counts.scanned / total, 1)
    const filled = Math.round(share * BAR_WIDTH)
    const of = complete ? undefined : options.estimate
    return `\r\x1b[2K[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ${countsLine(counts, of)}`
  }

  return {
    /** After each batch. */
    update(counts: ReencryptCounts): void {
      const at = now()
      const interval = options.isTTY ? BAR_INTERVAL_MS : options.intervalMs
      if (at - last < interval) return
      last = at
      if (options.isTTY) {
        options.write(bar(counts))
      } else {
        printed = line(counts)
        options.write(printed)
      }
    },
    /** When the run ends (`complete`: every record scanned): the bar's last state, or the last counts. */
    finish(counts: ReencryptCounts, complete: boolean): void {
      if (options.isTTY) options.write(`${bar(counts, complete)}\n`)
      else if (line(counts) !== printed) options.write(line(counts))
    },
  }
}
