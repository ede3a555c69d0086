import type { BoltEmulatorOptions } from './types.js'

/** {@link BoltEmulatorOptions} with every default filled in. */
export type ResolvedEmulatorOptions = Required<BoltEmulatorOptions>

/** The defaults of {@link BoltEmulatorOptions} (except `now`, which is the start time). */
export const EMULATOR_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  clientId: 'pk_emulator_publishable_key',
  clientSecret: 'sk_emulator_api_key',
  accessTokenTtlSeconds: 3600,
  codeTtlSeconds: 600,
  refreshGraceMs: 0,
} as const

/**
 * Checks the options and fills in the defaults.
 *
 * @throws {TypeError} naming the offending option.
 */
export function resolveOptions(options: BoltEmulatorOptions = {}): ResolvedEmulatorOptions {
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
  if (!isPositive(resolved.accessTokenTtlSeconds)) {
    throw new TypeError('accessTokenTtlSeconds must be a positive number')
  }
  if (!isPositive(resolved.codeTtlSeconds)) {
    throw new TypeError('codeTtlSeconds must be a positive number')
  }
  if (!Number.isFinite(resolved.refreshGraceMs) || resolved.refreshGraceMs < 0) {
    throw new TypeError('refreshGraceMs must be a non-negative number')
  }
  if (!Number.isFinite(resolved.now)) throw new TypeError('now must be a finite number of ms')
  return resolved
}

function isPositive(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}

function definedOnly(options: BoltEmulatorOptions): BoltEmulatorOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
}
