/**
 * The one retry policy of the library: which failed token requests are sent again, and
 * after how long. It lives in the core because only the core knows that a code is
 * single-use and that a refresh rotates its token.
 *
 * | failure | code exchange | refresh |
 * |---|---|---|
 * | connection refused, DNS failure (nothing was sent) | retried | retried |
 * | 429 (`RATE_LIMITED`) | retried after `Retry-After` | retried after `Retry-After` |
 * | 5xx (`SERVER_ERROR`) | never: the code may have been used | retried (the refresh token may have rotated; see below) |
 * | timeout, connection reset, malformed 2xx (ambiguous) | never | not in this call: the session keeps its refresh token, and the next call presents it once more (DESIGN §5 rule 5) |
 * | `invalid_grant`, `invalid_client`, `invalid_request`, `invalid_scope` | never | never |
 *
 * Retries wait with full-jitter exponential backoff (or exactly `Retry-After`) and stay
 * inside the operation's budget: a retry that could not finish before the lease ends is
 * not started, and the last error is thrown instead.
 *
 * A 5xx on refresh may come after Bolt rotated the refresh token. Presenting it again is
 * then a reuse: inside an authorization server's grace window it returns the same new
 * tokens; outside it, `invalid_grant` ends the session with a clear error — never a loop.
 *
 * @module
 */
import type { BoltTokenError } from '../errors.js'
import type { TokenGrant } from './token-request.js'

/**
 * How failed token requests are retried.
 * @group Token manager
 */
export interface RetryOptions {
  /**
   * Attempts in all, the first included. `1` turns retries off.
   * @default 3
   */
  maxAttempts?: number
  /**
   * The first backoff's upper bound, in milliseconds; it doubles per attempt.
   * @default 200
   */
  baseDelayMs?: number
  /**
   * The largest backoff, in milliseconds (a longer `Retry-After` is still honoured if the budget allows).
   * @default 2_000
   */
  maxDelayMs?: number
}

/**
 * Retry options with defaults applied.
 * @group Token manager
 */
export type ResolvedRetryOptions = Required<RetryOptions>

/**
 * The defaults of {@link RetryOptions}.
 * @group Token manager
 */
export const DEFAULT_RETRY: ResolvedRetryOptions = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
}

/** Whether a failed attempt of `grant` may be sent again. `notSent`: certainly never reached Bolt. */
export function isRetryable(error: BoltTokenError, grant: TokenGrant, notSent: boolean): boolean {
  switch (error.code) {
    case 'RATE_LIMITED':
      return true
    case 'NETWORK_ERROR':
      return notSent
    case 'SERVER_ERROR':
      return grant.grantType === 'refresh_token'
    default:
      return false
  }
}

/** How long to wait before attempt `attempt + 1` (attempts count from 1). */
export function backoffMs(
  attempt: number,
  error: BoltTokenError,
  options: ResolvedRetryOptions,
  random: () => number = Math.random,
): number {
  if (error.retryAfterMs !== undefined) return error.retryAfterMs
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}
