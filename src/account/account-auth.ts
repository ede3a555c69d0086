/**
 * What both Account API clients share: how a request is authorized, and how Bolt's answers
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

/** The Account API root, without a trailing slash: `options.baseUrl`, else the manager's. */
export function accountApiRoot(tokens: TokenManager, options: AccountClientOptions): string {
  return (options.baseUrl ?? tokens.baseUrl).replace(/\/+$/, '')
}

/**
 * The URL of `path` under `root`. Only a path that starts with one `/` is accepted: anything
 * else (`@host/…`, `.host/…`, `//host/…`, a full URL) could send the bearer token elsewhere.
 */
export function accountUrl(root: string, path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      'Account API paths must start with a single "/" (e.g. "/v1/account"): the bearer token only goes to the Bolt API root.',
    )
  }
  const url = new URL(`${root}${path}`)
  if (url.origin !== new URL(root).origin) {
    throw new BoltTokenError('INVALID_ARGUMENT', 'That Account API path leaves the Bolt API root.')
  }
  return url.href
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
