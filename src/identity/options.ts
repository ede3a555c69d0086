/**
 * The `identity` option of the token manager: how `getIdentity` checks the shopper's ID token.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'

/**
 * Options of `getIdentity`, given as `createTokenManager({ identity: { … } })`.
 * @group Identity
 */
export interface IdentityOptions {
  /**
   * Whether the ID token's signature is checked against Bolt's published keys (the JWKS named
   * by `{baseUrl}/.well-known/openid-configuration`). `false` skips the signature, and with
   * it every request: only for merchants who rely on having received the ID token straight
   * from Bolt's token endpoint over TLS (OpenID Connect Core §3.1.3.7). The claims are still
   * decoded and checked (issuer, audience, times, types) either way.
   * @default true
   */
  verifySignature?: boolean
  /**
   * How far apart the manager's clock and Bolt's may be when `iat`, `nbf` and `exp` are
   * compared, in milliseconds.
   * @default 60_000
   */
  leewayMs?: number
  /**
   * The deadline of one request for the discovery document or the JWKS (connect, answer,
   * body), in milliseconds. An unreachable or slow JWKS fails within it (`NETWORK_ERROR`,
   * `TIMEOUT`) instead of holding the caller.
   * @default 5_000
   */
  timeoutMs?: number
}

/** {@link IdentityOptions} with every default applied. */
export interface ResolvedIdentityOptions {
  verifySignature: boolean
  leewayMs: number
  timeoutMs: number
}

/** The defaults of {@link IdentityOptions}. */
export const DEFAULT_IDENTITY_OPTIONS: ResolvedIdentityOptions = {
  verifySignature: true,
  leewayMs: 60_000,
  timeoutMs: 5_000,
}

/** The largest accepted `leewayMs`: ten minutes. More would make `exp` meaningless. */
const MAX_LEEWAY_MS = 600_000

function invalid(option: string, problem: string): BoltTokenError {
  return new BoltTokenError('INVALID_ARGUMENT', `createTokenManager: \`${option}\` ${problem}.`)
}

/**
 * Applies defaults to the `identity` option and validates it.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT`, naming the option.
 */
export function resolveIdentityOptions(options: unknown): ResolvedIdentityOptions {
  if (options === undefined) return DEFAULT_IDENTITY_OPTIONS
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('identity', 'must be an object ({ verifySignature, leewayMs, timeoutMs })')
  }
  const given = options as IdentityOptions
  const verifySignature = given.verifySignature ?? DEFAULT_IDENTITY_OPTIONS.verifySignature
  if (typeof verifySignature !== 'boolean') {
    throw invalid('identity.verifySignature', 'must be true or false')
  }
  const leewayMs = given.leewayMs ?? DEFAULT_IDENTITY_OPTIONS.leewayMs
  if (
    typeof leewayMs !== 'number' ||
    !Number.isFinite(leewayMs) ||
    leewayMs < 0 ||
    leewayMs > MAX_LEEWAY_MS
  ) {
    throw invalid(
      'identity.leewayMs',
      `must be a number of milliseconds from 0 to ${MAX_LEEWAY_MS} (ten minutes)`,
    )
  }
  const timeoutMs = given.timeoutMs ?? DEFAULT_IDENTITY_OPTIONS.timeoutMs
  // An integer because jose's JWKS fetch takes only whole milliseconds.
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw invalid('identity.timeoutMs', 'must be a positive whole number of milliseconds')
  }
  return { verifySignature, leewayMs, timeoutMs }
}
