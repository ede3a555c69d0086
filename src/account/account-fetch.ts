/**
 * A `fetch` for Bolt's Account API on behalf of one shopper session.
 *
 * @module
 */
import type { TokenManager } from '../manager/token-manager.js'
import {
  type AccountClientOptions,
  accessTokenFor,
  accountApiRoot,
  accountUrl,
  bearer,
  isScopeRefusal,
  replacementToken,
  scopeRefused,
  stillRefused,
} from './account-auth.js'

/** Options of {@link createAccountFetch}. */
export interface AccountFetchOptions extends AccountClientOptions {
  /** The `fetch` to call. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

/**
 * Calls Bolt's Account API: `path` is relative to the API root and starts with `/` (e.g.
 * `/v1/account`; anything else rejects with `INVALID_ARGUMENT`, so the token never leaves the
 * root); `init` is fetch's, without `Authorization` (it is added).
 */
export type AccountFetch = (path: string, init?: RequestInit) => Promise<Response>

/**
 * Creates a `fetch` for Bolt's Account API that acts for one shopper session:
 *
 * - it adds the session's access token (`Authorization: Bearer …`), refreshing it first
 *   when it has expired;
 * - on a `401` it has the token refreshed once (however many requests are refused at the
 *   same time) and sends the request again, once; a second `401` rejects with
 *   `NOT_AUTHENTICATED`. A body that is a stream cannot be sent twice: the `401` is returned;
 * - a `403 insufficient_scope` rejects with `SCOPE_REQUIRED` (show the login modal again).
 *
 * Every other answer is returned as it is.
 *
 * @example
 * ```ts
 * const account = createAccountFetch(tokens, req.session.id, { baseUrl: BOLT_SANDBOX_URL })
 * const profile = await (await account('/v1/account')).json()
 * ```
 * @throws {BoltTokenError} from the returned function: what `getAccessToken` throws,
 *   `SCOPE_REQUIRED`, `NOT_AUTHENTICATED`.
 */
export function createAccountFetch(
  tokens: TokenManager,
  sessionId: string,
  options: AccountFetchOptions = {},
): AccountFetch {
  const root = accountApiRoot(tokens, options)
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  return async (path, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase()
    const url = accountUrl(root, path)
    const call = (accessToken: string) => {
      const headers = new Headers(init.headers)
      headers.set('authorization', bearer(accessToken))
      return send(url, { ...init, headers })
    }
    const first = await accessTokenFor(tokens, sessionId, options)
    let response = await call(first)
    if (response.status === 401 && !(init.body instanceof ReadableStream)) {
      await response.body?.cancel()
      response = await call(await replacementToken(tokens, sessionId, first, options))
      if (response.status === 401) {
        await response.body?.cancel()
        throw stillRefused(method, path)
      }
    }
    if (await isScopeRefusal(response)) {
      await response.body?.cancel()
      throw scopeRefused(method, path)
    }
    return response
  }
}
