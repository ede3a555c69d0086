/**
 * The token manager's options resolved: defaults applied and every value validated (the
 * options themselves are documented in `token-manager-options.ts`).
 *
 * @module
 */
import type { HttpTransport, TokenStore } from '../contracts.js'
import {
  createRecordCipher,
  type EncryptionOptions,
  type RecordCipher,
} from '../crypto/encryption.js'
import { BoltTokenError } from '../errors.js'
import { type ResolvedIdentityOptions, resolveIdentityOptions } from '../identity/options.js'
import {
  DEFAULT_RETRY,
  type ResolvedRetryOptions,
  type RetryOptions,
} from '../oauth/retry-policy.js'
import { DEFAULT_TOKEN_PATH } from '../oauth/token-request.js'
import { rejectPromiseArguments } from '../promise-argument.js'
import { Secret } from '../secret.js'
import { type MeterLike, type ResolvedMeter, resolveMeter } from '../telemetry/metrics.js'
import { resolveTracer, type TracerLike } from '../telemetry/tracing.js'
import { createLeaseClock, type LeaseClock } from './lease-clock.js'
import type { Logger } from './logger.js'
import { createStoreKeys, type StoreKeyOf } from './store-keys.js'
import {
  BOLT_ACCESS_TOKEN_LIFETIME_MS,
  BOLT_PRODUCTION_URL,
  LEASE_MARGIN_MS,
  type TokenManagerOptions,
} from './token-manager-options.js'

export {
  BOLT_ACCESS_TOKEN_LIFETIME_MS,
  BOLT_PRODUCTION_URL,
  BOLT_SANDBOX_URL,
  LEASE_MARGIN_MS,
  type TokenManagerOptions,
} from './token-manager-options.js'

/** Options with every default applied. */
export type ResolvedOptions = Omit<
  Required<TokenManagerOptions>,
  | 'retry'
  | 'clientSecret'
  | 'encryption'
  | 'logger'
  | 'tracer'
  | 'meter'
  | 'storeKeySecret'
  | 'identity'
> & {
  /** Until when (epoch ms) a plaintext record is read while encryption is on; `-Infinity`: never. */
  plaintextAcceptedUntil: number
  /** The store key of a session id: what every store call names instead of the id. */
  storeKeyOf: StoreKeyOf
  /** Resolves the tracer to use (once). */
  tracer: () => Promise<TracerLike | undefined>
  /** The meter to record metrics with; `undefined` with `meter: false`. */
  meter: ResolvedMeter | undefined
  retry: ResolvedRetryOptions
  /** `null` without the `encryption` option. */
  cipher: RecordCipher | null
  logger: Logger | undefined
  /** Held wrapped, so that printing the options never shows it. */
  clientSecret: Secret
  /** How `getIdentity` checks ID tokens. */
  identity: ResolvedIdentityOptions
  /** The clock leases are set and compared on: the store's, where it has one. */
  leaseClock: LeaseClock
}

function invalid(option: string, problem: string): BoltTokenError {
  return new BoltTokenError('INVALID_ARGUMENT', `createTokenManager: \`${option}\` ${problem}.`)
}

function requireString(options: TokenManagerOptions, name: 'clientId' | 'clientSecret'): void {
  const value: unknown = options[name]
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalid(
      name,
      'must be a non-empty string (find it in the Bolt Merchant Dashboard, Developers > API)',
    )
  }
}

function requirePositive(name: string, value: number, allowZero = false): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw invalid(
      name,
      `must be a ${allowZero ? 'non-negative' : 'positive'} finite number of milliseconds`,
    )
  }
}

/**
 * Applies defaults and validates. Adapters are passed in so that this module imports none.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT`, naming the option.
 */
export function resolveOptions(
  options: TokenManagerOptions,
  defaults: { store: () => TokenStore; http: () => HttpTransport },
): ResolvedOptions {
  rejectPromiseArguments('createTokenManager', { options })
  if (typeof options !== 'object' || options === null) {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      'createTokenManager: options must be an object with clientId and clientSecret.',
    )
  }
  requireString(options, 'clientId')
  requireString(options, 'clientSecret')
  const baseUrl = options.baseUrl ?? BOLT_PRODUCTION_URL
  let parsed: URL
  try {
    parsed = new URL(baseUrl)
  } catch {
    throw invalid('baseUrl', 'must be an absolute http(s) URL such as https://api.bolt.com')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw invalid('baseUrl', 'must be an absolute http(s) URL such as https://api.bolt.com')
  }

  const tokenPath = options.tokenPath ?? DEFAULT_TOKEN_PATH
  if (typeof tokenPath !== 'string' || !/^(?:\/[A-Za-z0-9._~-]+)+$/.test(tokenPath)) {
    throw invalid('tokenPath', "must be a path such as '/v1/oauth/token' or '/v3/oauth/token'")
  }

  const timeoutMs = options.timeoutMs ?? 10_000
  requirePositive('timeoutMs', timeoutMs)
  const leaseMs = options.leaseMs ?? timeoutMs + 5_000
  requirePositive('leaseMs', leaseMs)
  if (leaseMs < timeoutMs + LEASE_MARGIN_MS) {
    throw invalid(
      'leaseMs',
      `(${leaseMs}) must be at least timeoutMs + ${LEASE_MARGIN_MS} (${timeoutMs + LEASE_MARGIN_MS}): the margin pays for the store round trips around a request to Bolt (taking the lease, saving the answer)`,
    )
  }
  const refreshSkewMs = options.refreshSkewMs ?? 60_000
  requirePositive('refreshSkewMs', refreshSkewMs, true)
  if (refreshSkewMs >= BOLT_ACCESS_TOKEN_LIFETIME_MS) {
    throw invalid(
      'refreshSkewMs',
      `(${refreshSkewMs}) must be below Bolt's one-hour token lifetime, or every token would count as expired`,
    )
  }
  const sessionTtlMs = options.sessionTtlMs ?? 30 * 24 * 3_600_000
  requirePositive('sessionTtlMs', sessionTtlMs)
  const pollIntervalMs = options.pollIntervalMs ?? 500
  requirePositive('pollIntervalMs', pollIntervalMs)
  const maxRefreshesInFlight = options.maxRefreshesInFlight ?? 16
  if (!Number.isInteger(maxRefreshesInFlight) || maxRefreshesInFlight < 1) {
    throw invalid('maxRefreshesInFlight', 'must be a whole number of at least 1')
  }
  const clock = options.clock ?? Date.now
  if (typeof clock !== 'function')
    throw invalid('clock', 'must be a function returning epoch milliseconds')

  const tracer = options.tracer
  if (
    tracer !== undefined &&
    tracer !== false &&
    typeof (tracer as Partial<TracerLike> | null)?.startSpan !== 'function'
  ) {
    throw invalid('tracer', "must be an OpenTelemetry tracer (trace.getTracer('my-app')) or false")
  }
  const meter = options.meter
  if (
    meter !== undefined &&
    meter !== false &&
    typeof (meter as Partial<MeterLike> | null)?.createCounter !== 'function'
  ) {
    throw invalid('meter', "must be an OpenTelemetry meter (metrics.getMeter('my-app')) or false")
  }

  const store = options.store ?? defaults.store()
  const plaintextAcceptedUntil = resolvePlaintextDeadline(options.encryption, clock(), sessionTtlMs)
  const storeKeyOf = createStoreKeys(resolveStoreKeySecret(options))
  return {
    plaintextAcceptedUntil,
    storeKeyOf,
    retry: resolveRetry(options.retry),
    cipher:
      options.encryption === undefined ? null : createRecordCipher(options.encryption, storeKeyOf),
    logger: options.logger,
    tracer: resolveTracer(options.tracer),
    meter: resolveMeter(options.meter),
    identity: resolveIdentityOptions(options.identity),
    clientId: options.clientId,
    clientSecret: new Secret(options.clientSecret),
    baseUrl,
    tokenPath,
    store,
    leaseClock: createLeaseClock(store, clock),
    http: options.http ?? defaults.http(),
    clock,
    refreshSkewMs,
    timeoutMs,
    leaseMs,
    sessionTtlMs,
    pollIntervalMs,
    maxRefreshesInFlight,
  }
}

function resolvePlaintextDeadline(
  encryption: EncryptionOptions | undefined,
  now: number,
  sessionTtlMs: number,
): number {
  const until: unknown = encryption?.acceptPlaintextUntil
  if (until === undefined) return Number.NEGATIVE_INFINITY
  const at = until instanceof Date ? until.getTime() : until
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw invalid('encryption.acceptPlaintextUntil', 'must be a Date or epoch milliseconds')
  }
  if (at > now + sessionTtlMs) {
    throw invalid(
      'encryption.acceptPlaintextUntil',
      `must be at most sessionTtlMs (${sessionTtlMs} ms) from now: every plaintext record is rewritten encrypted or expired by then, and a longer window only keeps accepting planted ones`,
    )
  }
  return at
}

function resolveStoreKeySecret(options: TokenManagerOptions): string | Uint8Array {
  const secret: unknown = options.storeKeySecret
  if (secret === undefined) return options.clientSecret
  if (typeof secret === 'string' && secret.length >= 32) return secret
  if (secret instanceof Uint8Array && secret.length >= 16) return secret
  throw invalid(
    'storeKeySecret',
    'must be a random string of at least 32 characters or at least 16 random bytes (e.g. `openssl rand -base64 32`), the same on every instance',
  )
}

function resolveRetry(retry: RetryOptions | false | undefined): ResolvedRetryOptions {
  if (retry === false) return { ...DEFAULT_RETRY, maxAttempts: 1 }
  if (retry === undefined) return DEFAULT_RETRY
  if (typeof retry !== 'object' || retry === null) {
    throw invalid('retry', 'must be an object ({ maxAttempts, baseDelayMs, maxDelayMs }) or false')
  }
  const resolved = { ...DEFAULT_RETRY, ...retry }
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw invalid('retry.maxAttempts', 'must be a whole number of at least 1')
  }
  requirePositive('retry.baseDelayMs', resolved.baseDelayMs, true)
  requirePositive('retry.maxDelayMs', resolved.maxDelayMs, true)
  return resolved
}
