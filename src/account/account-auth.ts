/**
 * What both Account API clients share: which token a request gets, and how Bolt's answers
 * that concern the token are recognised and turned into this library's errors.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'
import { SCOPE_MANAGE, type SCOPE_VIEW } from '../machine/token-set.js'
import type { TokenManager } from '../manager/token-manager.js'

/** Options of the Account API clients. */
export interface AccountClientOptions {
  /**
   * Bolt's API base URL.
   * @default the token manager's (`tokens.baseUrl`): the Account API of the Bolt that issued the tokens
   */
  baseUrl?: string
  /**
   * Ask the session for a `bolt.account.manage` token before every request, so that a
   * view-only session fails with `SCOPE_REQUIRED` without calling Bolt. Without it any
   * usable token is sent, and Bolt's own `403 insufficient_scope` becomes `SCOPE_REQUIRED`.
   */
  scope?: typeof SCOPE_MANAGE | typeof SCOPE_VIEW
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
 * Whether Bolt refused a request for lack of scope (`403` with `insufficient_scope` in its
 * `WWW-Authenticate` header or its JSON `error`). Reads a clone: `response` stays unread.
 */
export async function isScopeRefusal(response: Response): Promise<boolean> {
  if (response.status !== 403) return false
  if (/insufficient_scope/i.test(response.headers.get('www-authenticate') ?? '')) return true
  try {
    const body: unknown = await response.clone().json()
    return (
      typeof body === 'object' &&
      body !== null &&
      (body as { error?: unknown }).error === 'insufficient_scope'
    )
  } catch {
    return false
  }
}

/** The error for Bolt's `403 insufficient_scope`: the session cannot do this without a login. */
export function scopeRefused(method: string, path: string): BoltTokenError {
  return new BoltTokenError(
    'SCOPE_REQUIRED',
    `Bolt refused ${method} ${path} for lack of scope: it needs bolt.account.manage, which lasts one hour after a login. Show the login modal again and pass its code to exchangeCode() to step up.`,
    { status: 403 },
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
