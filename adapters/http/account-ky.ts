/**
 * A ky instance for Bolt's Account API on behalf of one shopper session. ky is an optional
 * peer dependency.
 *
 * @module
 */
import ky, { type KyInstance } from 'ky'
import {
  type AccountClientOptions,
  accessTokenFor,
  accountApiRoot,
  bearer,
  isScopeRefusal,
  replacementToken,
  scopeRefused,
  stillRefused,
} from '../../src/account/account-auth.js'
import type { TokenManager } from '../../src/manager/token-manager.js'

/** Options of {@link createAccountClient}. */
export interface AccountKyOptions extends AccountClientOptions {
  /** The ky instance to extend (its hooks and defaults are kept). @default ky */
  ky?: KyInstance
}

/**
 * Creates a ky instance for Bolt's Account API that acts for one shopper session (its
 * `prefixUrl` is the API root: call it with paths such as `v1/account`):
 *
 * - it adds the session's access token, refreshing it first when it has expired;
 * - on a `401` it has the token refreshed once (however many requests are refused at the
 *   same time) and sends the request again, once; a second `401` rejects with
 *   `NOT_AUTHENTICATED`;
 * - a `403 insufficient_scope` rejects with `SCOPE_REQUIRED` (show the login modal again).
 *
 * Every other answer behaves as ky's (an `HTTPError` for other statuses, by default).
 * ky's own retries are off in this instance (`retry: 0`): ky would retry the library's
 * errors thrown from its hooks as network failures. Retry at your level if you want to.
 *
 * @example
 * ```ts
 * import { createAccountClient } from 'bolt-token-lifecycle/ky'
 * const account = createAccountClient(tokens, req.session.id, { baseUrl: BOLT_SANDBOX_URL })
 * const profile = await account.get('v1/account').json()
 * await account.post('v1/account/addresses', { json: address }) // SCOPE_REQUIRED when view-only
 * ```
 */
export function createAccountClient(
  tokens: TokenManager,
  sessionId: string,
  options: AccountKyOptions = {},
): KyInstance {
  const base = options.ky ?? ky
  return base.extend({
    prefixUrl: accountApiRoot(tokens, options),
    // ky retries whatever a hook throws as if the network had failed (after a backoff):
    // SCOPE_REQUIRED or INVALID_GRANT must reach the caller at once, and only once.
    retry: 0,
    hooks: {
      beforeRequest: [
        async (request) => {
          const accessToken = await accessTokenFor(tokens, sessionId, options)
          request.headers.set('authorization', bearer(accessToken))
        },
      ],
      afterResponse: [
        async (request, _options, response) => {
          const path = new URL(request.url).pathname
          if (response.status === 401) {
            const refused = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''
            const replacement = await replacementToken(tokens, sessionId, refused, options)
            request.headers.set('authorization', bearer(replacement))
            // The retry goes through the merchant's instance, not this one: no second retry.
            const retried = await base(request, { throwHttpErrors: false, retry: 0 })
            if (retried.status === 401) throw stillRefused(request.method, path)
            if (await isScopeRefusal(retried)) throw scopeRefused(request.method, path)
            return retried
          }
          if (await isScopeRefusal(response)) throw scopeRefused(request.method, path)
          return response
        },
      ],
      // ky's HTTPError keeps the request, bearer token included: drop it before anyone logs it.
      beforeError: [
        (error) => {
          error.request.headers.delete('authorization')
          return error
        },
      ],
    },
  })
}
