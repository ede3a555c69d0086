/**
 * Sends one Account API request with the shopper's token, for both clients: the place where
 * the token meets a request, so that it is the only one.
 *
 * @module
 */
import type { TokenManager } from '../manager/token-manager.js'
import {
  type AccountClientOptions,
  accessTokenFor,
  bearer,
  isRedirect,
  isScopeRefusal,
  redirectRefused,
  replacementToken,
  scopeRefused,
  stillRefused,
} from './account-auth.js'
import { requireUnderApiRoot } from './api-root.js'

/** Who the request acts for, where it may go and how it reaches the network. */
export interface AuthorizedRequestConfig {
  /** The manager that holds the session's tokens. */
  tokens: TokenManager
  /** The shopper session the request acts for. */
  sessionId: string
  /** The client's options (`scope` decides which token is asked for). */
  options: AccountClientOptions
  /** The API root (see `accountApiRoot`): the only place the token goes. */
  root: string
  /** The `fetch` that reaches the network: the only code that sees the token. */
  send: (input: Request, init?: RequestInit) => Promise<Response>
}

/**
 * Sends `request` (which carries no token) as the session, and returns Bolt's answer:
 *
 * - its URL must be under the API root, or it rejects with `INVALID_ARGUMENT` before the
 *   token is read;
 * - the token goes on a copy handed to `config.send` only: `request` itself never carries
 *   it, so no hook, error or log that holds `request` can show it;
 * - redirects are not followed (`redirect: 'manual'`): a redirect rejects with
 *   `INVALID_RESPONSE`, as Bolt's Account API does not redirect and its target could be
 *   any host;
 * - a `401` has the token refreshed once and the request sent again, once, when
 *   `replayable` (a second `401` rejects with `NOT_AUTHENTICATED`); otherwise the `401` is
 *   returned;
 * - a `403 insufficient_scope` rejects with `SCOPE_REQUIRED`.
 *
 * @param init - passed on to `config.send` as it is (e.g. ky's options that `Request` lacks).
 */
export async function sendAuthorized(
  config: AuthorizedRequestConfig,
  request: Request,
  replayable: boolean,
  init?: RequestInit,
): Promise<Response> {
  const { tokens, sessionId, options } = config
  let first: string
  try {
    requireUnderApiRoot(request.url, config.root)
    first = await accessTokenFor(tokens, sessionId, options)
  } catch (error) {
    // ky waits until every copy of a body is read or cancelled: cancel this unsent one, or
    // its call never settles. Not awaited: ky cancels its own copy only after we return.
    void request.body?.cancel().catch(() => {})
    throw error
  }
  const method = request.method
  const path = new URL(request.url).pathname
  // Taken before the first send consumes the body, for the one retry after a 401.
  const spare = replayable ? request.clone() : undefined
  const withToken = (source: Request, accessToken: string) => {
    const headers = new Headers(source.headers)
    headers.set('authorization', bearer(accessToken))
    return config.send(new Request(source, { headers, redirect: 'manual' }), init)
  }

  let response = await withToken(request, first)
  if (response.status === 401 && spare !== undefined) {
    await response.body?.cancel()
    response = await withToken(spare, await replacementToken(tokens, sessionId, first, options))
    if (response.status === 401) {
      await response.body?.cancel()
      throw stillRefused(method, path)
    }
  }
  if (isRedirect(response)) {
    await response.body?.cancel()
    throw redirectRefused(method, path, response.status)
  }
  if (await isScopeRefusal(response)) {
    await response.body?.cancel()
    throw scopeRefused(method, path)
  }
  return response
}
