/**
 * Where the Account API clients may send a shopper's bearer token: Bolt's API root (the
 * configured base URL's origin, and paths under its path) and nowhere else.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'
import type { TokenManager } from '../manager/token-manager.js'
import type { AccountClientOptions } from './account-auth.js'

/** The Account API root, without a trailing slash: `options.baseUrl`, else the manager's. */
export function accountApiRoot(tokens: TokenManager, options: AccountClientOptions): string {
  return (options.baseUrl ?? tokens.baseUrl).replace(/\/+$/, '')
}

/**
 * The URL of `path` under `root`. Only a path that starts with one `/` is accepted: anything
 * else (`@host/…`, `.host/…`, `//host/…`, a full URL) could send the bearer token elsewhere.
 * Where the result lands is checked again, by {@link requireUnderApiRoot}, before the
 * token is read.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT` for any other `path`.
 */
export function accountUrl(root: string, path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      'Account API paths must start with a single "/" (e.g. "/v1/account"): the bearer token only goes to the Bolt API root.',
    )
  }
  return `${root}${path}`
}

/**
 * Whether `url` is under `root`: the same origin, and a path equal to the root's path or
 * below it. `url` is parsed first, so `..`, `%2e%2e` and backslashes are already resolved
 * to where the request would really go.
 */
function isUnderApiRoot(url: string, root: string): boolean {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return false
  }
  const base = new URL(root)
  const basePath = base.pathname.replace(/\/+$/, '')
  return (
    target.origin === base.origin &&
    (target.pathname === basePath || target.pathname.startsWith(`${basePath}/`))
  )
}

/**
 * Checks that a request to `url` would stay under `root`, before any token is read.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT` when it would not. The message names no URL:
 *   a query string may hold secrets of its own.
 */
export function requireUnderApiRoot(url: string, root: string): void {
  if (isUnderApiRoot(url, root)) return
  throw new BoltTokenError(
    'INVALID_ARGUMENT',
    'That request would leave the Bolt API root (another host, or a path outside the base URL), so the shopper’s token was not read and nothing was sent. Pass paths relative to the API root, such as "v1/account" (ky) or "/v1/account" (fetch), not full URLs, Request objects for other addresses, or another prefixUrl.',
  )
}
