/**
 * Statistics and the timing loops every section shares: medians, percentiles, and variants
 * run in interleaved slices so that they share the same moments of a noisy machine.
 *
 * No Node-only import: the Durable Objects section runs these loops inside workerd
 * (bench/durable-object-worker.ts), where its store runs. `performance` is the global one
 * (in Node the same object as `node:perf_hooks`'s).
 *
 * @module
 */

/** What one timed stretch of a variant did. */
export interface Slice {
  ops: number
  seconds: number
}

/** Runs a variant for about `durationMs` and says how much it did. */
export type SliceRunner = (durationMs: number) => Promise<Slice>

/** The median of `values` (`NaN` when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Nearest-rank percentile, `p` in 0..100 (`NaN` when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

/** `a[i] / b[i]` for every round: ratios of variants that ran in the same window. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / (b[i] as number))
}

/**
 * Runs `op` in `concurrency` loops for `durationMs`, each loop awaiting its previous call.
 * Resolves once every loop has finished its last call.
 */
export async function runLoops(
  op: (loop: number) => Promise<unknown>,
  durationMs: number,
  concurrency: number,
): Promise<Slice> {
  let ops = 0
  const start = performance.now()
  const end = start + durationMs
  const loop = async (index: number) => {
    while (performance.now() < end) {
      await op(index)
      ops++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)))
  return { ops, seconds: (performance.now() - start) / 1_000 }
}

/**
 * Runs `op(i)` one call after another for `durationMs`; `i` counts on from `first`, so that
 * a caller rotating through sessions keeps rotating across slices. The clock is read every
 * `batch` calls: at a few hundred nanoseconds a call, reading it every call would be measured.
 */
export async function runSequential(
  op: (i: number) => Promise<unknown>,
  durationMs: number,
  first = 0,
  batch = 64,
): Promise<Slice> {
  let i = first
  const start = performance.now()
  const end = start + durationMs
  while (performance.now() < end) {
    for (let k = 0; k < batch; k++) await op(i++)
  }
  return { ops: i - first, seconds: (performance.now() - start) / 1_000 }
}

/**
 * Lets the event loop run timers and I/O. A loop of already-settled promises runs on
 * microtasks alone and would starve them: sockets closed meanwhile by a peer would only be
 * noticed when reused. (`setImmediate` in Node; a zero timeout in workerd, which has none.)
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  )
}

/** How {@link interleave} spends its time. */
export interface InterleaveOptions {
  rounds: number
  /** Time per variant per round, split into slices. */
  roundMs: number
  /** Length of one slice: the variants alternate at this granularity. */
  sliceMs: number
  /** Unmeasured time per variant before the first round (JIT, connections, caches). */
  warmupMs: number
}

/**
 * Measures every variant's ops/s in `rounds` rounds. Within a round the variants alternate
 * in short slices (order rotated every slice), so that a burst of noise from the shared
 * machine slows all of them alike; per-round values of different variants are comparable.
 *
 * @returns ops/s per variant, one value per round.
 */
export async function interleave<Name extends string>(
  variants: Record<Name, SliceRunner>,
  options: InterleaveOptions,
): Promise<Record<Name, number[]>> {
  const names = Object.keys(variants) as Name[]
  for (const name of names) {
    await variants[name](options.warmupMs)
    await yieldToEventLoop()
  }
  const slices = Math.max(1, Math.round(options.roundMs / options.sliceMs))
  const sliceMs = options.roundMs / slices
  const perRound = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    Name,
    number[]
  >
  for (let round = 0; round < options.rounds; round++) {
    const totals = new Map<Name, Slice>(names.map((name) => [name, { ops: 0, seconds: 0 }]))
    for (let slice = 0; slice < slices; slice++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + slice + round) % names.length] as Name
        const { ops, seconds } = await variants[name](sliceMs)
        await yieldToEventLoop()
        const total = totals.get(name) as Slice
        total.ops += ops
        total.seconds += seconds
      }
    }
    for (const name of names) {
      const total = totals.get(name) as Slice
      perRound[name].push(total.ops / total.seconds)
    }
  }
  return perRound
}
