/**
 * Every error `getIdentity` builds. A refused ID token is one code, `ID_TOKEN_INVALID`, with a
 * reason that names claims or checks, never a claim's value or the token.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'

/** `ID_TOKEN_INVALID`: the session's ID token is refused, for `reason`. */
export function idTokenInvalid(reason: string): BoltTokenError {
  return new BoltTokenError(
    'ID_TOKEN_INVALID',
    `The session's ID token was refused: ${reason}. None of its claims can be trusted; ask the shopper to log in again.`,
  )
}

/** `TIMEOUT`: `what` (the discovery document or the JWKS) did not answer in time. */
export function keysTimeout(what: string, timeoutMs: number, cause: unknown): BoltTokenError {
  return new BoltTokenError(
    'TIMEOUT',
    `${what} did not answer within ${timeoutMs} ms (identity.timeoutMs), so the ID token cannot be checked. Retry later.`,
    { cause },
  )
}

/** `NETWORK_ERROR`: `what` could not be reached. */
export function keysUnreachable(what: string, cause: unknown): BoltTokenError {
  return new BoltTokenError(
    'NETWORK_ERROR',
    `${what} could not be reached, so the ID token cannot be checked. Retry later.`,
    { cause },
  )
}

/** `SERVER_ERROR` (5xx) or `INVALID_RESPONSE`: `what` answered, but not usefully. */
export function keysBadAnswer(what: string, problem: string, status?: number): BoltTokenError {
  return new BoltTokenError(
    status !== undefined && status >= 500 ? 'SERVER_ERROR' : 'INVALID_RESPONSE',
    `${what} ${problem}, so the ID token cannot be checked. Retry later.`,
    status === undefined ? {} : { status },
  )
}
