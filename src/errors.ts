/**
 * The one error class of bolt-token-lifecycle and its stable codes.
 *
 * Every failure a merchant can see is a {@link BoltTokenError} with a `code` from
 * {@link ErrorCode}. Messages say what happened and what to do; they never contain a
 * token, an authorization code, the client secret or the API key.
 *
 * @module
 */
import { excerpt, quoteServerText } from './oauth/redact.js'

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
 * | `SESSION_CHANGED` | a logout or another login won while a code was being exchanged, or the session changed on every logout attempt | nothing, or ask the shopper to log in again; retry a logout |
 * | `STORE_UNAVAILABLE` | the session store failed | retry later; check the store |
 * | `REFRESH_WAIT_TIMEOUT` | another instance held the refresh lease for too long | retry |
 * | `INVALID_ARGUMENT` | the library was called or configured wrongly | fix the call |
 * | `RECORD_UNREADABLE` | a stored session does not decrypt (unknown key id, failed tag) or decode; reported through `subscribe`, the session reads as absent | check the encryption keys |
 * | `ACCOUNT_API_ERROR` | a typed Account API method (`createAccountApi`, `accountExists`) got a non-2xx answer other than a scope refusal; Bolt's `errors[]` are on the error (`BoltAccountError`) | depends on `status` and Bolt's `errors[].code`: fix the input (4xx), retry later (429, 5xx) |
 * @group Errors
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

/**
 * Details a {@link BoltTokenError} may carry besides its code and message.
 * @group Errors
 */
export interface BoltTokenErrorDetails {
  /** HTTP status of Bolt's answer, when there was one. */
  status?: number
  /** The OAuth `error` (or Bolt `.tag`) string from Bolt's answer, e.g. `invalid_grant`. */
  oauthError?: string
  /** For `RATE_LIMITED` (and a `503` with `Retry-After`): how long Bolt asked us to wait, in ms. */
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
 * @group Errors
 */
export class BoltTokenError extends Error {
  override readonly name = 'BoltTokenError'
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: ErrorCode
  /** HTTP status of Bolt's answer, when there was one. */
  readonly status?: number
  /** The OAuth error string from Bolt's answer, when there was one. */
  readonly oauthError?: string
  /** For `RATE_LIMITED` (and a `503` with `Retry-After`): how long to wait, in milliseconds. */
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
 * @group Errors
 */
export function isBoltTokenError(value: unknown, code?: ErrorCode): value is BoltTokenError {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as { name?: unknown; code?: unknown }
  if (candidate.name !== 'BoltTokenError' || typeof candidate.code !== 'string') return false
  if (!codes.has(candidate.code)) return false
  return code === undefined || candidate.code === code
}

/** Whether `code` is one of the stable {@link ErrorCode}s (a stored record may hold anything). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && codes.has(code)
}

// The errors the token manager builds, each in one place. Messages say what to do next.

/** What a session record keeps of an error: its code, message and Bolt's answer details. */
export interface RecordedError {
  code: string
  message: string
  status?: number | undefined
  oauthError?: string | undefined
  retryAfterMs?: number | undefined
}

/** What a session record keeps of `error` (secret-free), as recorded at `at` (epoch ms). */
export function toRecordedError(
  error: BoltTokenError,
  at: number,
): { code: ErrorCode; message: string; at: number } & ReturnType<typeof answerDetails> {
  return { code: error.code, message: error.message, at, ...answerDetails(error) }
}

/** Converts anything thrown by a token request into a {@link BoltTokenError}. */
export function toBoltTokenError(error: unknown): BoltTokenError {
  if (isBoltTokenError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new BoltTokenError(
    'NETWORK_ERROR',
    `The token request failed unexpectedly: ${quoteServerText(message, [], 160)}. Retry later.`,
    { cause: error },
  )
}

/**
 * Rebuilds the error another instance recorded in the session, for callers that waited on it.
 * A code this version does not know (a newer writer, a damaged record) reads as `SERVER_ERROR`.
 */
export function errorFromSession(error: RecordedError): BoltTokenError {
  const code = isErrorCode(error.code) ? error.code : 'SERVER_ERROR'
  return new BoltTokenError(code, error.message, answerDetails(error))
}

/** The error for a session with no usable tokens, naming why it ended when known. */
export function notAuthenticated(lastError: RecordedError | null): BoltTokenError {
  const why = lastError === null ? '' : ` It ended after: ${lastError.message}`
  return new BoltTokenError(
    'NOT_AUTHENTICATED',
    `This session has no Bolt tokens: show the login modal and pass its code to exchangeCode().${why}`,
  )
}

/** The error for a caller that needs `bolt.account.manage` from a session that cannot give it. */
export function scopeRequired(): BoltTokenError {
  return new BoltTokenError(
    'SCOPE_REQUIRED',
    'This session is view-only (bolt.account.manage lasts one hour after a login; a refresh only grants bolt.account.view). Show the login modal again and pass its code to exchangeCode() to step up.',
  )
}

/**
 * ` (Redis at 127.0.0.1:6379)`: where the store that threw `cause` is, when the store says so
 * through the error's `storeLocation` (the `TokenStore` contract); else ''. A store names hosts
 * and ports there, never a credential; the cause's own message is not copied (it may quote
 * what the command carried).
 */
function storeLocationOf(cause: unknown): string {
  if (typeof cause !== 'object' || cause === null) return ''
  const location = (cause as { storeLocation?: unknown }).storeLocation
  return typeof location === 'string' && location !== '' ? ` (${excerpt(location, 160)})` : ''
}

/** The error for a failed store operation; nothing was changed. */
export function storeUnavailable(action: string, cause: unknown): BoltTokenError {
  return new BoltTokenError(
    'STORE_UNAVAILABLE',
    `The session store${storeLocationOf(cause)} failed to ${action}; nothing was changed. Retry later and check the store.`,
    { cause },
  )
}

/** The error for a compare-and-set that failed in the store: it may or may not have landed. */
export function storeWriteFailed(cause: unknown): BoltTokenError {
  return new BoltTokenError(
    'STORE_UNAVAILABLE',
    `The session store${storeLocationOf(cause)} failed while saving the session; the write may or may not have landed (the version check keeps any late write from overwriting a newer one). Retry later and check the store.`,
    { cause },
  )
}

/**
 * The error for a login Bolt accepted whose save failed without saying whether it landed:
 * the code is spent, and sending it again would look like a replay to Bolt.
 */
export function loginNotConfirmed(cause: unknown, kept: boolean): BoltTokenError {
  const then = kept
    ? 'This instance keeps the tokens and saves them by itself once the store answers (within the lease of this login), or on its next call for this session; check the store.'
    : 'The session changed since (another login, a logout or a refresh), so the login may or may not be in it: check getStatus, and show the login modal again if the shopper is not logged in.'
  return new BoltTokenError(
    'STORE_UNAVAILABLE',
    `Bolt accepted the login, but the session store${storeLocationOf(cause)} failed while saving it and cannot tell whether the save landed. Do not send this code again: Bolt would take it for a replay and revoke the session. ${then}`,
    { cause },
  )
}

/** The error reported (never thrown) for a stored record that cannot be read. */
export function recordUnreadable(reason: string, keyId: string | undefined): BoltTokenError {
  return new BoltTokenError(
    'RECORD_UNREADABLE',
    `The stored session could not be read: ${reason}${keyId === undefined ? '' : ` (key id '${keyId}')`}. It reads as logged out; a new login replaces it.`,
  )
}

/**
 * The error for a caller whose deadline (2 × `leaseMs`) came while another instance held the
 * session's refresh, or left no room for a request of its own.
 */
export function refreshWaitTimeout(deadlineMs: number): BoltTokenError {
  return new BoltTokenError(
    'REFRESH_WAIT_TIMEOUT',
    `Other instances held this session's refresh until this call's deadline (2 × leaseMs, ${deadlineMs} ms) left no room for a request of its own; nothing was sent. Retry; if it recurs, check that all instances' clocks agree.`,
  )
}

/**
 * The error for a lease holder that did not send its request: what was left of its lease
 * after the store round trips (measured) could not hold one whole attempt.
 */
export function requestNotSent(
  what: 'refresh' | 'code exchange',
  leftMs: number,
  timeoutMs: number,
): BoltTokenError {
  const retry =
    what === 'refresh'
      ? 'the refresh token was not presented'
      : 'the code was not sent: retry the login with the same code'
  return new BoltTokenError(
    'TIMEOUT',
    `The ${what} was not sent to Bolt: after the session store's round trips, ${Math.max(0, Math.round(leftMs))} ms were left of the lease (and of the caller's deadline), less than one attempt (timeoutMs, ${timeoutMs} ms). Nothing changed and ${retry}. If it recurs, the store is too slow for leaseMs: raise leaseMs.`,
  )
}

/** Why a session operation lost to other writers, for {@link sessionChanged}. */
export type SessionChange = 'login-not-recorded' | 'login-overtaken' | 'logout-contended'

const sessionChanges: Record<SessionChange, string> = {
  'login-not-recorded':
    'The session kept changing while the login was being recorded; the code was not used. Retry the login.',
  'login-overtaken':
    'A logout or another login for this session won while the code was being exchanged; the new tokens were discarded.',
  'logout-contended': 'The session changed on every logout attempt; retry the logout.',
}

/** The error for an operation that other writers of the same session kept beating. */
export function sessionChanged(change: SessionChange): BoltTokenError {
  return new BoltTokenError('SESSION_CHANGED', sessionChanges[change])
}

/**
 * The error for a caller whose deadline came while it waited in this instance's line of
 * refreshes (Bolt pushing back with `Retry-After`, or `maxRefreshesInFlight` busy): nothing was
 * sent and the session is unchanged, so it is still refreshable.
 */
export function refreshQueueTimeout(retryAfterMs: number, ahead: number): BoltTokenError {
  return new BoltTokenError(
    'RATE_LIMITED',
    `The refresh waited in this instance's line of token requests (${ahead} ahead of it, Bolt asking to slow down or maxRefreshesInFlight busy) until the call's deadline. Nothing was sent and the session is unchanged: retry after retryAfterMs (${retryAfterMs} ms).`,
    { retryAfterMs },
  )
}
