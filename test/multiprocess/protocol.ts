// The IPC protocol between a parent (the multi-process tests, bench/stampede.ts) and its
// backend-instance processes: worker.ts (a token manager) and bench/naive-worker.ts
// (simple-oauth2, no lock). Plus the helpers both workers use to read their configuration and
// to fire concurrent callers.
import type { ErrorEvent, LifecycleEvent } from '../../src/manager/lifecycle-events.js'
import type { SessionStatus } from '../../src/manager/token-manager.js'
import type { WorkerStoreConfig } from './stores/index.js'

/** The environment variable holding a worker's {@link WorkerConfig} as JSON. */
export const WORKER_CONFIG_ENV = 'BOLT_STAMPEDE_WORKER_CONFIG'

/** The token-request options a worker's manager gets (the manager's defaults when absent). */
export interface WorkerTiming {
  timeoutMs: number
  leaseMs: number
  pollIntervalMs: number
}

/** Everything a worker needs to build its own store (Redis by default) and token client. */
export interface WorkerConfig {
  /**
   * The worker's store, when it is not the Redis store on `redisUrl` and `prefix` (a module of
   * `stores/` and its options).
   */
  store?: WorkerStoreConfig
  redisUrl: string
  /** The Redis key prefix every instance shares. */
  prefix: string
  /** The emulator's URL and the merchant's credentials. */
  baseUrl: string
  clientId: string
  clientSecret: string
  /** Milliseconds added to `Date.now()`: the instance's clock (a `go` may move it). */
  clockOffsetMs: number
  /** The Redis client's `commandTimeout`. */
  commandTimeoutMs: number
  /** Whether to forward every lifecycle event (`event` messages); the bench leaves them off. */
  forwardEvents: boolean
  timing?: WorkerTiming
}

/** Parent → worker. */
export type ParentMessage =
  /**
   * Fire `concurrency` concurrent token reads of `sessionId`, first moving the instance's clock
   * to `clockOffsetMs` when given; answered by `results`.
   */
  | { type: 'go'; sessionId: string; concurrency: number; clockOffsetMs?: number }
  /**
   * The expiry herd: `callers` concurrent token reads of each of `sessionIds`, all at once;
   * answered by `results`, session by session (`callers` results each, in order).
   */
  | { type: 'herd'; sessionIds: string[]; callers: number }
  /** Answered by `status` (the worker manager's `getStatus`). */
  | { type: 'status'; sessionId: string }
  /** Close the store and the Redis client, then exit with code 0. */
  | { type: 'exit' }

/** One caller's outcome and how long it waited. Tokens may cross IPC; nobody prints them. */
export type CallResult = (
  | { ok: true; token: string }
  | { ok: false; code: string; message: string }
) & {
  waitMs: number
}

/** A manager's error event, without the error object (no cause, no stack). */
export interface WireErrorEvent {
  type: 'error'
  sessionId: string
  error: { code: string; message: string }
  detail: string
  at: number
}

/** A lifecycle event as forwarded over IPC. */
export type WireEvent = Exclude<LifecycleEvent, ErrorEvent> | WireErrorEvent

/** Worker → parent. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'results'; results: CallResult[] }
  | { type: 'status'; status: SessionStatus }
  | { type: 'event'; event: WireEvent }
  | { type: 'crash'; message: string }

/** `Name: message` of a thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** Reads the worker's {@link WorkerConfig} from its environment, checking every field. */
export function readWorkerConfig(): WorkerConfig {
  const raw = process.env[WORKER_CONFIG_ENV]
  if (raw === undefined) throw new Error(`${WORKER_CONFIG_ENV} is not set`)
  const config = JSON.parse(raw) as Partial<WorkerConfig>
  for (const name of ['redisUrl', 'prefix', 'baseUrl', 'clientId', 'clientSecret'] as const) {
    if (typeof config[name] !== 'string') throw new Error(`config.${name} must be a string`)
  }
  for (const name of ['clockOffsetMs', 'commandTimeoutMs'] as const) {
    if (typeof config[name] !== 'number') throw new Error(`config.${name} must be a number`)
  }
  if (config.store !== undefined && typeof config.store.module !== 'string')
    throw new Error('config.store.module must be a string')
  if (typeof config.forwardEvents !== 'boolean')
    throw new Error('config.forwardEvents must be a boolean')
  for (const name of ['timeoutMs', 'leaseMs', 'pollIntervalMs'] as const) {
    if (config.timing !== undefined && typeof config.timing[name] !== 'number')
      throw new Error(`config.timing.${name} must be a number`)
  }
  return config as WorkerConfig
}

/** Runs `call` `concurrency` times at once; each failure is named by `codeOf`. */
export function callConcurrently(
  concurrency: number,
  call: () => Promise<string>,
  codeOf: (error: unknown) => string,
): Promise<CallResult[]> {
  return Promise.all(
    Array.from({ length: concurrency }, async (): Promise<CallResult> => {
      const started = performance.now()
      try {
        const token = await call()
        return { ok: true, token, waitMs: performance.now() - started }
      } catch (error) {
        const waitMs = performance.now() - started
        return { ok: false, code: codeOf(error), message: describeError(error), waitMs }
      }
    }),
  )
}
