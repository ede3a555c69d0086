/**
 * What both Account API clients share: which token a request gets, and how Bolt's answers
 * that concern the token are recognised and turned into this library's errors.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'
import { SCOPE_MANAGE, type SCOPE_VIEW } from '../machine/token-set.js'
import type { TokenManager } from '../manager/token-manager.js'
import type { Secret } from '../secret.js'

/**
 * Options of the Account API clients.
 * @group Account API
 */
export interface AccountClientOptions {
  /**
   * Bolt's API base URL.
   * @default the token manager's (`tokens.baseUrl`): the Account API of the Bolt that issued the tokens
   */
  baseUrl?: string
  /**
   * Ask the session for a `bolt.account.manage` token before every request, so that a
   * view-only session fails with `SCOPE_REQUIRED` without calling Bolt. Without it any
   * usable token is sent, and a write Bolt refuses (`403`, or a `401` a refresh did not cure)
   * while the session cannot manage becomes `SCOPE_REQUIRED`.
   */
  scope?: typeof SCOPE_MANAGE | typeof SCOPE_VIEW
  /**
   * Your API key, sent as `X-API-Key` (Bolt requires it with the bearer token). Only for a
   * `tokens` that `createTokenManager` did not make (a wrapper of your own): a manager of
   * this library supplies its own `clientSecret`, and this option, when given, replaces it.
   */
  apiKey?: string | Secret
  /**
   * Your publishable key, sent as `X-Publishable-Key`.
   * @default the manager's `clientId`, for a manager `createTokenManager` made
   */
  publishableKey?: string
}

/** The session's access token, as the options ask for it. */
export function accessTokenFor(
  tokens: TokenManager,
  sessionId: string,
  options: AccountClientOptions,
): Promise<string> {
  return tokens.getAccessToken(
    sessionId,
    options.scope === SCOPE_MANAGE ? { scope: SCOPE_MANAGE } : {},
  )
}

/** A token to use after Bolt refused `rejected` with a `401`: refreshed once, if needed. */
export function replacementToken(
  tokens: TokenManager,
  sessionId: string,
  rejected: string,
  options: AccountClientOptions,
): Promise<string> {
  return tokens.getAccessToken(sessionId, {
    rejectedToken: rejected,
    ...(options.scope === SCOPE_MANAGE ? { scope: SCOPE_MANAGE } : {}),
  })
}

/** `Authorization` header value for `accessToken`. */
export const bearer = (accessToken: string): string => `Bearer ${accessToken}`

/**
 * The error for a write Bolt refused (`403`, or a `401` a refresh did not cure) while the
 * session cannot manage: it needs a login, whatever words Bolt's answer used.
 */
export function scopeRefused(method: string, path: string, status: number): BoltTokenError {
  return new BoltTokenError(
    'SCOPE_REQUIRED',
    `Bolt refused ${method} ${path} (${status}) and the session is view-only: changing the account needs bolt.account.manage, which lasts one hour after a login. Show the login modal again and pass its code to exchangeCode() to step up.`,
    { status },
  )
}

/** The error for a `401` that a refreshed token did not cure. */
export function stillRefused(method: string, path: string): BoltTokenError {
  return new BoltTokenError(
    'NOT_AUTHENTICATED',
    `Bolt refused ${method} ${path} with 401 again after the session's token was refreshed: the shopper's Bolt session is no longer valid. Show the login modal and pass its code to exchangeCode().`,
    { status: 401 },
  )
}

/** Whether `response` is a redirect (a `Location` to follow, or fetch's opaque redirect). */
export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || [301, 302, 303, 307, 308].includes(response.status)
}

/** The error for a redirect from the Account API: the clients never follow one. */
export function redirectRefused(method: string, path: string, status: number): BoltTokenError {
  return new BoltTokenError(
    'INVALID_RESPONSE',
    `The Account API answered ${method} ${path} with a redirect (${status || 'opaque'}); the client does not follow redirects, so the shopper's token was not sent on. Check baseUrl: it must be Bolt's API root itself (e.g. https://api.bolt.com), not an address that redirects.`,
    status > 0 ? { status } : {},
  )
}
