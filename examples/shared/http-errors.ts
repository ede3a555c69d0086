/**
 * The one error → HTTP mapping the Express, Fastify and Hono examples share: each
 * framework's error handler calls {@link errorResponse} and writes what it returns.
 *
 * Bodies are built from constants (plus the library's secret-free SCOPE_REQUIRED message
 * and Bolt's message for a rejected address, quoted by the library with secrets removed): no
 * token, code or secret can reach the browser. Details go to the server log, for 5xx answers only, through {@link errorForLog}.
 *
 * See docs/errors.md for what every code means.
 */
import { type BoltTokenError, isBoltAccountError, isBoltTokenError } from 'bolt-token-lifecycle'
import { BadRequestError } from './requests.js'

/** `Retry-After` (seconds) for a transient failure when Bolt did not say how long to wait. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5

/** What the frontend gets: `error` to switch on, and `action` when there is one to take. */
export interface ErrorBody {
  error: string
  /** `show_login_modal`: open Bolt's login modal (again); `retry_later`: after `Retry-After`. */
  action?: 'show_login_modal' | 'retry_later'
  message?: string
}

/** An HTTP answer for a failed request. */
export interface ErrorResponse {
  status: number
  body: ErrorBody
  headers: Record<string, string>
}

function answer(status: number, body: ErrorBody, headers: Record<string, string> = {}) {
  return { status, body, headers }
}

const showLoginModal = 'show_login_modal'

/** 503 with `Retry-After`: Bolt's delay when it gave one (429), else the default. */
function retryLater(retryAfterMs: number | undefined): ErrorResponse {
  const seconds =
    retryAfterMs === undefined
      ? DEFAULT_RETRY_AFTER_SECONDS
      : Math.max(1, Math.ceil(retryAfterMs / 1000))
  return answer(
    503,
    { error: 'TEMPORARILY_UNAVAILABLE', action: 'retry_later' },
    { 'retry-after': String(seconds) },
  )
}

const internalError = (): ErrorResponse => answer(500, { error: 'INTERNAL_ERROR' })

function fromBoltTokenError(error: BoltTokenError): ErrorResponse {
  switch (error.code) {
    // The session is view-only (a refresh never grants manage): log in again to step up.
    case 'SCOPE_REQUIRED':
      return answer(403, {
        error: 'SCOPE_REQUIRED',
        action: showLoginModal,
        message: error.message,
      })
    // No session, or it has ended.
    case 'NOT_AUTHENTICATED':
      return answer(401, { error: 'NOT_AUTHENTICATED', action: showLoginModal })
    // Bolt rejected the code (used, expired) or the refresh token (revoked): log in again.
    case 'INVALID_GRANT':
      return answer(401, { error: 'INVALID_GRANT', action: showLoginModal })
    // The login's `state` is not the one this session was issued: possible CSRF.
    case 'STATE_MISMATCH':
      return answer(400, { error: 'STATE_MISMATCH', action: showLoginModal })
    // A logout or another login of this session won while this code was being exchanged.
    case 'SESSION_CHANGED':
      return answer(409, { error: 'SESSION_CHANGED', action: showLoginModal })
    // Transient: nothing was stored, the refresh token was kept. Retry later.
    case 'SERVER_ERROR':
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
    case 'RATE_LIMITED':
    case 'INVALID_RESPONSE':
    case 'STORE_UNAVAILABLE':
    case 'REFRESH_WAIT_TIMEOUT':
      return retryLater(error.retryAfterMs)
    // The merchant's configuration or code is wrong (keys, baseUrl, a bad call): fix it.
    case 'INVALID_CLIENT':
    case 'INVALID_REQUEST':
    case 'INVALID_ARGUMENT':
    // Only reported through subscribe (the session then reads as logged out); listed for completeness.
    case 'RECORD_UNREADABLE':
      return internalError()
    // The session's ID token failed verification (getIdentity): trust none of it, log in again.
    case 'ID_TOKEN_INVALID':
      return answer(401, { error: 'ID_TOKEN_INVALID', action: showLoginModal })
    // Bolt's Account API refused the call itself (a bad address, an unknown id, Bolt down).
    case 'ACCOUNT_API_ERROR':
      return fromAccountApiError(error)
  }
}

/** Bolt's own refusal of an Account API call, by its status (scope refusals never get here). */
function fromAccountApiError(error: BoltTokenError): ErrorResponse {
  const status = error.status ?? 0
  if (status === 400 || status === 422) {
    const said = isBoltAccountError(error) ? error.errors[0]?.message : undefined
    return answer(400, { error: 'BAD_REQUEST', message: said || 'Bolt rejected the request.' })
  }
  if (status === 404) return answer(404, { error: 'NOT_FOUND' })
  // A refusal a login would not cure (the session can manage): nothing for the shopper to do.
  if (status === 403) return answer(403, { error: 'FORBIDDEN' })
  if (status === 429 || status >= 500) return retryLater(error.retryAfterMs)
  return internalError()
}

/** A 4xx the framework itself raised (unparsable JSON, unsupported media type, too large). */
function frameworkClientError(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
  const code = typeof statusCode === 'number' ? statusCode : status
  return typeof code === 'number' && code >= 400 && code < 500 ? code : undefined
}

/** The HTTP answer for anything a route threw. */
export function errorResponse(error: unknown): ErrorResponse {
  if (isBoltTokenError(error)) return fromBoltTokenError(error)
  if (error instanceof BadRequestError) {
    return answer(400, { error: 'BAD_REQUEST', message: error.message })
  }
  const status = frameworkClientError(error)
  if (status !== undefined) return answer(status, { error: 'BAD_REQUEST' })
  return internalError()
}

/** A secret-free description of `error` for the server log. */
export function errorForLog(error: unknown): Record<string, unknown> {
  if (isBoltTokenError(error)) return error.toJSON()
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: typeof error }
}

/** What the examples log about a request that failed with a 5xx. */
export interface ErrorLogEntry {
  method: string
  /** The path without its query string. */
  path: string
  status: number
  error: Record<string, unknown>
}

/** Maps `error` to its HTTP answer, and logs it when that answer is a 5xx. */
export function handleError(
  error: unknown,
  request: { method: string; url: string },
  log: (entry: ErrorLogEntry) => void,
): ErrorResponse {
  const response = errorResponse(error)
  if (response.status >= 500) {
    const path = request.url.split('?')[0] ?? ''
    log({ method: request.method, path, status: response.status, error: errorForLog(error) })
  }
  return response
}
