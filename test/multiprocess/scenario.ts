// The setting every multi-process test starts from: an emulator in the test process, a shopper
// logged in through a manager in the test process on a shared store (Redis on a fresh prefix
// by default), and the options to fork workers that share that store and the emulator's clock.
import { randomUUID } from 'node:crypto'
import { onTestFinished } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createRedisStore } from '../../adapters/storage/redis.js'
import type { TokenStore } from '../../src/contracts.js'
import {
  type BoltEmulator,
  type BoltEmulatorOptions,
  emulatorManagerOptions,
} from '../../src/emulator/index.js'
import type { TransitionEvent } from '../../src/manager/lifecycle-events.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { createTestRedis, randomPrefix, redisUrl } from '../support/redis.js'
import type { CallResult, WireEvent, WorkerTiming } from './protocol.js'
import type { WorkerStoreConfig } from './stores/index.js'
import type { SpawnWorkerOptions } from './workers.js'

/**
 * The store every instance shares: the test process's own client of it, and what a worker
 * needs to open its own (a module of `stores/`).
 */
export interface SharedStore {
  store: TokenStore
  close(): Promise<void>
  worker: WorkerStoreConfig
}

/** The Redis store on a fresh prefix (the default of {@link startExpiredSession}). */
export function sharedRedisStore(): SharedStore {
  if (redisUrl === null) throw new Error('sharedRedisStore() needs Redis (use describeRedis)')
  const prefix = randomPrefix()
  const store = createRedisStore(createTestRedis(), { prefix })
  return {
    store,
    close: () => store.close(),
    worker: { module: 'redis', options: { url: redisUrl, prefix, commandTimeoutMs: 2_000 } },
  }
}

export interface ExpiredSession {
  bolt: BoltEmulator
  /** The test process's own manager on the shared prefix (it logged the shopper in). */
  parent: TokenManager & { transitions: TransitionEvent[] }
  store: TokenStore
  sessionId: string
  /** Options for a worker on the same prefix, emulator and clock (the offset is measured now). */
  workerOptions(name: string, timing: WorkerTiming): SpawnWorkerOptions
}

/**
 * Starts an emulator, logs a shopper in through a manager in this process on a shared store
 * (by default the Redis store on a fresh prefix), then moves the emulator clock past the
 * access token's expiry.
 */
export async function startExpiredSession(
  emulatorOptions: BoltEmulatorOptions = {},
  shared: () => SharedStore = sharedRedisStore,
): Promise<ExpiredSession> {
  const bolt = await startEmulator(emulatorOptions)
  const { store, close, worker } = shared()
  onTestFinished(close)
  const parent = managerFor(bolt, createFetchTransport(), { store })
  const sessionId = `shopper-${randomUUID()}`
  await parent.exchangeCode(sessionId, { code: bolt.login().code })
  bolt.advanceClock(PAST_EXPIRY_MS)
  return {
    bolt,
    parent,
    store,
    sessionId,
    workerOptions: (name, timing) => workerOptionsFor(bolt, worker, name, timing),
  }
}

/**
 * A worker on `worker`'s store, the emulator and its clock (measured now), forwarding its
 * events; `overrides` change any of that.
 */
export function workerOptionsFor(
  bolt: BoltEmulator,
  worker: WorkerStoreConfig,
  name: string,
  timing: WorkerTiming,
  overrides: Partial<SpawnWorkerOptions> = {},
): SpawnWorkerOptions {
  return {
    name,
    store: worker,
    // Unused while `store` is set; the protocol keeps them for the bench's naive workers.
    redisUrl: '',
    prefix: '',
    // The clock cannot cross the process boundary: the worker follows it by offset.
    ...emulatorManagerOptions({
      clientId: bolt.clientId,
      clientSecret: bolt.clientSecret,
      url: bolt.url,
    }),
    clockOffsetMs: bolt.now() - Date.now(),
    commandTimeoutMs: 2_000,
    forwardEvents: true,
    timing,
    ...overrides,
  }
}

/** The emulator's `refresh_token` requests, in arrival order. */
export function refreshRequests(bolt: BoltEmulator) {
  return bolt.requests.filter((request) => request.grantType === 'refresh_token')
}

/** The transitions among `events` caused by the machine event `type`. */
export function transitionsOf(events: WireEvent[], type: TransitionEvent['event']) {
  return events.filter(
    (event): event is TransitionEvent => event.type === 'transition' && event.event === type,
  )
}

/** The tokens of the successful results (never print them). */
export function tokensOf(results: CallResult[]): string[] {
  return results.flatMap((result) => (result.ok ? [result.token] : []))
}

/** The results as `ok` or their error code: safe to print in an assertion failure. */
export function outcomes(results: CallResult[]): string[] {
  return results.map((result) => (result.ok ? 'ok' : result.code))
}
