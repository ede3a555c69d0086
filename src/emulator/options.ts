import { rejectPromiseArguments } from '../promise-argument.js'
import type { EmulatorRateLimit } from './rate-limit.js'
import type { BoltEmulatorOptions } from './types.js'

/**
 * {@link BoltEmulatorOptions} with every default filled in; `idTokenIssuer` stays optional
 * because its default, the emulator's URL, is known only once the server listens.
 */
export type ResolvedEmulatorOptions = Required<Omit<BoltEmulatorOptions, 'idTokenIssuer'>> &
  Pick<BoltEmulatorOptions, 'idTokenIssuer'>

/**
 * The defaults of {@link BoltEmulatorOptions} (except `now`, the start time, and
 * `idTokenIssuer`, the emulator's URL). The lifetimes are Bolt's: codes 5 minutes, access
 * tokens 1 hour, refresh tokens 1 year. `clientId` and `clientSecret` are the emulator's
 * public test credentials.
 * @group Emulator
 */
export const EMULATOR_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  clientId: 'pk_emulator_publishable_key',
  clientSecret: 'sk_emulator_api_key',
  accessTokenTtlSeconds: 3600,
  codeTtlSeconds: 300,
  refreshTokenTtlSeconds: 365 * 24 * 3600,
  refreshGraceMs: 0,
  reuseRevokesFamily: true,
  idTokenKid: false,
  rateLimit: false,
} as const

/**
 * Checks the options and fills in the defaults.
 *
 * @throws {TypeError} naming the offending option.
 */
export function resolveOptions(options: BoltEmulatorOptions = {}): ResolvedEmulatorOptions {
  rejectPromiseArguments('startBoltEmulator', { options }, (message) => new TypeError(message))
  const resolved: ResolvedEmulatorOptions = {
    ...EMULATOR_DEFAULTS,
    ...definedOnly(options),
    now: options.now ?? Date.now(),
  }
  const { port, host, clientId, clientSecret } = resolved
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('port must be an integer from 0 to 65535')
  }
  for (const [name, value] of [
    ['host', host],
    ['clientId', clientId],
    ['clientSecret', clientSecret],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`${name} must be a non-empty string`)
    }
  }
  for (const name of [
    'accessTokenTtlSeconds',
    'codeTtlSeconds',
    'refreshTokenTtlSeconds',
  ] as const) {
    if (!isPositive(resolved[name])) throw new TypeError(`${name} must be a positive number`)
  }
  if (!Number.isFinite(resolved.refreshGraceMs) || resolved.refreshGraceMs < 0) {
    throw new TypeError('refreshGraceMs must be a non-negative number')
  }
  for (const name of ['reuseRevokesFamily', 'idTokenKid'] as const) {
    if (typeof resolved[name] !== 'boolean') throw new TypeError(`${name} must be a boolean`)
  }
  if (
    resolved.idTokenIssuer !== undefined &&
    (typeof resolved.idTokenIssuer !== 'string' || resolved.idTokenIssuer === '')
  ) {
    throw new TypeError('idTokenIssuer must be a non-empty string')
  }
  if (resolved.rateLimit !== false) resolveRateLimit(resolved.rateLimit)
  if (!Number.isFinite(resolved.now)) throw new TypeError('now must be a finite number of ms')
  return resolved
}

/** Checks a rate limit (the `rateLimit` option, or `setRateLimit`). @throws {TypeError} */
export function resolveRateLimit(limit: EmulatorRateLimit): EmulatorRateLimit {
  if (
    typeof limit !== 'object' ||
    limit === null ||
    !isPositive(limit.perSecond) ||
    !Number.isInteger(limit.inFlight) ||
    limit.inFlight < 1
  ) {
    throw new TypeError(
      'rateLimit must be false or { perSecond: a positive number, inFlight: a whole number of at least 1 }',
    )
  }
  return limit
}

function isPositive(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}

function definedOnly(options: BoltEmulatorOptions): BoltEmulatorOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
}
