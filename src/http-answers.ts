/**
 * The HTTP answer for every {@link BoltTokenError}: the one error → HTTP mapping that the
 * framework examples and the NestJS exception filter (`bolt-token-lifecycle/nestjs`) share.
 *
 * Bodies are built from constants, plus the library's secret-free `SCOPE_REQUIRED` message
 * and Bolt's message for a rejected address (quoted by the library with secrets removed): no
 * token, code or secret can reach the browser. See docs/errors.md for what every code means.
 *
 * @module
 */
import { isBoltAccountError } from './account/account-error.js'
import type { BoltTokenError } from './errors.js'

/**
 * `Retry-After` (seconds) of a transient failure when Bolt did not say how long to wait.
 * @group Errors
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 5

/**
 * What the page gets: `error` to switch on, and `action` when there is one to take.
 * @group Errors
 */
export interface HttpErrorBody {
  error: string
  /** `show_login_modal`: open Bolt's login modal (again); `retry_later`: after `Retry-After`. */
  action?: 'show_login_modal' | 'retry_later'
  message?: string
}

/**
 * An HTTP answer for a failed request: write `status`, `headers` and `body` (as JSON).
 * @group Errors
 */
export interface HttpErrorAnswer {
  status: number
  body: HttpErrorBody
  /** Lower-case header names: `retry-after` on a `503`. */
  headers: Record<string, string>
}

function answer(
  status: number,
  body: HttpErrorBody,
  headers: Record<string, string> = {},
): HttpErrorAnswer {
  return { status, body, headers }
}

const showLoginModal = 'show_login_modal'

/** 503 with `Retry-After`: Bolt's delay when it gave one (429), else the default. */
function retryLater(retryAfterMs: number | undefined): HttpErrorAnswer {
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

const internalError = (): HttpErrorAnswer => answer(500, { error: 'INTERNAL_ERROR' })

/**
 * The HTTP answer for `error`: `401`/`403` with `action: 'show_login_modal'` when a login
 * cures it, `400` for a refused login, `503` with `Retry-After` when Bolt or the store is
 * having trouble, `500` for the merchant's configuration. Log `error.toJSON()` for a 5xx.
 *
 * @example
 * ```ts
 * if (isBoltTokenError(error)) {
 *   const { status, body, headers } = httpAnswerFor(error)
 *   return res.status(status).set(headers).json(body)
 * }
 * ```
 * @group Errors
 */
export function httpAnswerFor(error: BoltTokenError): HttpErrorAnswer {
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
function fromAccountApiError(error: BoltTokenError): HttpErrorAnswer {
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
