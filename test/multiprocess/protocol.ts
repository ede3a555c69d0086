// The IPC protocol between the multi-process tests (parent) and worker.ts (child). Types only,
// plus the name of the environment variable that carries a worker's configuration.
import type { ErrorEvent, LifecycleEvent } from '../../src/manager/lifecycle-events.js'
import type { SessionStatus } from '../../src/manager/token-manager.js'

/** The environment variable holding a worker's {@link WorkerConfig} as JSON. */
export const WORKER_CONFIG_ENV = 'BOLT_MULTIPROCESS_WORKER_CONFIG'

/** Everything a worker needs to build its own Redis client and token manager. */
export interface WorkerConfig {
  redisUrl: string
  /** The Redis key prefix shared with the parent's manager. */
  prefix: string
  /** The emulator's URL and client credentials. */
  baseUrl: string
  clientId: string
  clientSecret: string
  /** `bolt.now() - Date.now()` measured by the parent: the worker's clock is the emulator's. */
  clockOffsetMs: number
  timeoutMs: number
  leaseMs: number
  pollIntervalMs: number
}

/** Parent → worker. */
export type ParentMessage =
  /** Fire `concurrency` concurrent `getAccessToken(sessionId)`; answered by `results`. */
  | { type: 'go'; sessionId: string; concurrency: number }
  /** Answered by `status` (the worker manager's `getStatus`). */
  | { type: 'status'; sessionId: string }
  /** Close the store and the Redis client, then exit with code 0. */
  | { type: 'exit' }

/** One `getAccessToken` outcome. Tokens may cross IPC; tests never print them. */
export type CallResult = { ok: true; token: string } | { ok: false; code: string; message: string }

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
