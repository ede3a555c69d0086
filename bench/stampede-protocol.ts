/**
 * What the stampede's parent (bench/stampede.ts) and its backend-instance processes
 * (bench/stampede-worker.ts, bench/naive-worker.ts) say to each other over IPC.
 *
 * @module
 */

/** The environment variable carrying a worker's {@link WorkerConfig} as JSON. */
export const WORKER_CONFIG_ENV = 'BOLT_BENCH_WORKER_CONFIG'

/** What a worker needs to act as one backend instance. */
export interface WorkerConfig {
  redisUrl: string
  /** The Redis key prefix every instance shares. */
  prefix: string
  /** The emulator's URL and the merchant's credentials. */
  baseUrl: string
  clientId: string
  clientSecret: string
}

/** Parent → worker: `callers` concurrent token reads of one session, answered by {@link Done}. */
export interface Go {
  type: 'go'
  sessionId: string
  callers: number
  /** The instance's clock offset (ms added to Date.now()) for this run: past the token's expiry. */
  clockOffsetMs: number
}

/** Worker → parent: what each caller got. */
export interface Done {
  type: 'done'
  /** Milliseconds from call to settlement, one per caller. */
  waits: number[]
  /** The distinct access tokens the callers got. */
  tokens: string[]
  /** Failed callers by error code (`invalid_grant`, `INVALID_GRANT`, …). */
  errors: Record<string, number>
}

/** Reads the worker's configuration from its environment. */
export function readWorkerConfig(): WorkerConfig {
  const raw = process.env[WORKER_CONFIG_ENV]
  if (raw === undefined) throw new Error(`${WORKER_CONFIG_ENV} is not set`)
  return JSON.parse(raw) as WorkerConfig
}

/** Runs `call` `callers` times at once and gathers the {@link Done} answer. */
export async function stampedeOf(
  callers: number,
  call: () => Promise<string>,
  codeOf: (error: unknown) => string,
): Promise<Done> {
  const waits: number[] = []
  const tokens = new Set<string>()
  const errors: Record<string, number> = {}
  await Promise.all(
    Array.from({ length: callers }, async () => {
      const started = performance.now()
      try {
        tokens.add(await call())
      } catch (error) {
        const code = codeOf(error)
        errors[code] = (errors[code] ?? 0) + 1
      }
      waits.push(performance.now() - started)
    }),
  )
  return { type: 'done', waits, tokens: [...tokens], errors }
}
