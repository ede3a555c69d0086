/**
 * The one error class of bolt-token-lifecycle and its stable codes.
 *
 * Every failure a merchant can see is a {@link BoltTokenError} with a `code` from
 * {@link ErrorCode}. Messages say what happened and what to do; they never contain a
 * token, an authorization code, the client secret or the API key.
 *
 * @module
 */

/**
 * Stable error codes. Switch on these, never on messages.
 *
 * | code | cause | what the merchant should do |
 * |---|---|---|
 * | `INVALID_GRANT` | Bolt rejected the code or refresh token (used, expired, revoked) | show the login modal again |
 * | `INVALID_CLIENT` | Bolt rejected the client id / API key | fix the credentials |
 * | `INVALID_REQUEST` | Bolt rejected the request (bad scope, missing field) | a bug: report it |
 * | `INVALID_RESPONSE` | Bolt answered 2xx with something that is not a valid token response | retry later; nothing was stored |
 * | `SERVER_ERROR` | Bolt answered 5xx | retry later |
 * | `RATE_LIMITED` | Bolt answered 429 | retry after `retryAfterMs` |
 * | `NETWORK_ERROR` | the request did not get an answer (refused, reset, DNS) | retry later |
 * | `TIMEOUT` | no complete answer within `timeoutMs` | retry later |
 * | `NOT_AUTHENTICATED` | no session, or it ended | show the login modal |
 * | `SCOPE_REQUIRED` | `bolt.account.manage` was asked of a view-only session | show the login modal again (step-up) |
 * | `STATE_MISMATCH` | the `state` returned by the login modal is not the one issued | refuse the login (possible CSRF) |
 * | `ID_TOKEN_INVALID` | `getIdentity`: the session's ID token failed verification (signature, algorithm, key, issuer, audience, times or claims) | trust no claim of it; ask the shopper to log in again; alert if it repeats |
 * | `SESSION_CHANGED` | a logout or another login won while a code was being exchanged | nothing, or ask the shopper to log in again |
 * | `STORE_UNAVAILABLE` | the session store failed | retry later; check the store |
 * | `REFRESH_WAIT_TIMEOUT` | another instance held the refresh lease for too long | retry |
 * | `INVALID_ARGUMENT` | the library was called or configured wrongly | fix the call |
 * | `RECORD_UNREADABLE` | a stored session does not decrypt (unknown key id, failed tag) or decode; reported through `subscribe`, the session reads as absent | check the encryption keys |
 * | `ACCOUNT_API_ERROR` | a typed Account API method (`createAccountApi`, `accountExists`) got a non-2xx answer other than a scope refusal; Bolt's `errors[]` are on the error (`BoltAccountError`) | depends on `status` and Bolt's `errors[].code`: fix the input (4xx), retry later (429, 5xx) |
 */
export const ErrorCode = {
  INVALID_GRANT: 'INVALID_GRANT',
  INVALID_CLIENT: 'INVALID_CLIENT',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  SERVER_ERROR: 'SERVER_ERROR',
  RATE_LIMITED: 'RATE_LIMITED',
  NETWORK_ERROR: 'NETWORK_ERROR',
  TIMEOUT: 'TIMEOUT',
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  SCOPE_REQUIRED: 'SCOPE_REQUIRED',
  STATE_MISMATCH: 'STATE_MISMATCH',
  ID_TOKEN_INVALID: 'ID_TOKEN_INVALID',
  SESSION_CHANGED: 'SESSION_CHANGED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  REFRESH_WAIT_TIMEOUT: 'REFRESH_WAIT_TIMEOUT',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  RECORD_UNREADABLE: 'RECORD_UNREADABLE',
  ACCOUNT_API_ERROR: 'ACCOUNT_API_ERROR',
} as const

/** One of the stable error codes in {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Details a {@link BoltTokenError} may carry besides its code and message. */
export interface BoltTokenErrorDetails {
  /** HTTP status of Bolt's answer, when there was one. */
  status?: number
  /** The OAuth `error` (or Bolt `.tag`) string from Bolt's answer, e.g. `invalid_grant`. */
  oauthError?: string
  /** For `RATE_LIMITED`: how long Bolt asked us to wait, in milliseconds. */
  retryAfterMs?: number
  /** The underlying error (a network failure, a store failure). */
  cause?: unknown
}

/**
 * The error every public method of bolt-token-lifecycle rejects with.
 *
 * @example
 * ```ts
 * try {
 *   await tokens.getAccessToken(sessionId, { scope: 'bolt.account.manage' })
 * } catch (error) {
 *   if (isBoltTokenError(error, 'SCOPE_REQUIRED')) return showLoginModal()
 *   throw error
 * }
 * ```
 */
export class BoltTokenError extends Error {
  override readonly name = 'BoltTokenError'
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: ErrorCode
  /** HTTP status of Bolt's answer, when there was one. */
  readonly status?: number
  /** The OAuth error string from Bolt's answer, when there was one. */
  readonly oauthError?: string
  /** For `RATE_LIMITED`: Bolt's `Retry-After`, in milliseconds. */
  readonly retryAfterMs?: number

  constructor(code: ErrorCode, message: string, details: BoltTokenErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    if (details.status !== undefined) this.status = details.status
    if (details.oauthError !== undefined) this.oauthError = details.oauthError
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs
  }

  /** A plain, secret-free form for logs and JSON responses. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...answerDetails(this),
    }
  }
}

/** The defined ones of `status`, `oauthError` and `retryAfterMs` of `source`, for copying. */
export function answerDetails(source: {
  status?: number | undefined
  oauthError?: string | undefined
  retryAfterMs?: number | undefined
}): Pick<BoltTokenErrorDetails, 'status' | 'oauthError' | 'retryAfterMs'> {
  return {
    ...(source.status === undefined ? {} : { status: source.status }),
    ...(source.oauthError === undefined ? {} : { oauthError: source.oauthError }),
    ...(source.retryAfterMs === undefined ? {} : { retryAfterMs: source.retryAfterMs }),
  }
}

const codes = new Set<string>(Object.values(ErrorCode))

/**
 * Whether `value` is a {@link BoltTokenError} (optionally with the given code).
 *
 * Works across realms and duplicated installs: it checks `name` and `code`, not only
 * `instanceof`.
 */
export function isBoltTokenError(value: unknown, code?: ErrorCode): value is BoltTokenError {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as { name?: unknown; code?: unknown }
  if (candidate.name !== 'BoltTokenError' || typeof candidate.code !== 'string') return false
  if (!codes.has(candidate.code)) return false
  return code === undefined || candidate.code === code
}
