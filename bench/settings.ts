/**
 * The benchmark's knobs. Environment variables shorten a run for a quick look; published
 * numbers use the defaults.
 *
 * @module
 */

/** The sections, in the order they run. */
export const SECTIONS = [
  'memory-hit',
  'redis-hit',
  'upstash-hit',
  'deno-kv-hit',
  'postgres-hit',
  'durable-object-hit',
  'refresh',
  'stampede',
  'herd',
  'memory-size',
] as const

/** One section's name. */
export type SectionName = (typeof SECTIONS)[number]

/** The run's settings, from the environment. */
export interface Settings {
  /** `BENCH_ROUNDS` (default 5): rounds of every interleaved comparison. */
  rounds: number
  /** `BENCH_SCALE` (default 1): multiplies every round's and warm-up's duration. */
  scale: number
  /** `BENCH_ONLY` (comma-separated section names; default all). */
  only: readonly SectionName[]
  /** `BENCH_OUT`: where to write the results; default `bench/results.json` for a full run, nowhere otherwise. */
  out: string | null
  /** Whether these are the published defaults (5+ rounds, scale 1, every section). */
  isFullRun: boolean
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`)
  }
  return value
}

/** Reads `BENCH_ROUNDS`, `BENCH_SCALE`, `BENCH_ONLY` and `BENCH_OUT`. */
export function readSettings(defaultOut: string): Settings {
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 5))
  const scale = envNumber('BENCH_SCALE', 1)
  const rawOnly = process.env.BENCH_ONLY ?? ''
  const only =
    rawOnly.trim() === ''
      ? SECTIONS
      : rawOnly.split(',').map((part) => {
          const name = part.trim()
          if (!(SECTIONS as readonly string[]).includes(name)) {
            throw new Error(`BENCH_ONLY: unknown section "${name}" (known: ${SECTIONS.join(', ')})`)
          }
          return name as SectionName
        })
  const isFullRun = rounds >= 5 && scale >= 1 && only.length === SECTIONS.length
  const rawOut = process.env.BENCH_OUT
  const out = rawOut !== undefined && rawOut !== '' ? rawOut : isFullRun ? defaultOut : null
  return { rounds, scale, only, out, isFullRun }
}
