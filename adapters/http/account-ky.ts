/**
 * A ky instance for Bolt's Account API on behalf of one shopper session. ky is an optional
 * peer dependency.
 *
 * @module
 */
import ky, { type KyInstance } from 'ky'
import type { AccountClientOptions } from '../../src/account/account-auth.js'
import { accountApiRoot } from '../../src/account/api-root.js'
import { sendAuthorized } from '../../src/account/authorized-request.js'
import { merchantKeysFor } from '../../src/account/merchant-keys.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { rejectPromiseArguments } from '../../src/promise-argument.js'

/**
 * Options of {@link createAccountClient}.
 * @group Account API
 */
export interface AccountKyOptions extends AccountClientOptions {
  /**
   * The ky instance to extend: its hooks, defaults and `fetch` are kept (its `fetch` is the
   * one that reaches the network).
   * @default ky
   */
  ky?: KyInstance
}

/**
 * Creates a ky instance for Bolt's Account API that acts for one shopper session (its
 * `prefixUrl` is the API root: call it with paths such as `v1/account`):
 *
 * - it adds the session's access token, refreshing it first when it has expired, and your
 *   API key (`X-API-Key`) and publishable key (`X-Publishable-Key`), as Bolt requires (the
 *   manager's own; pass `apiKey` for a `TokenManager` of your own making), only to
 *   requests whose final URL (after `prefixUrl`, `searchParams` and hooks) is under the API
 *   root: the same origin as `baseUrl` and a path under its path. Anything else (a full
 *   URL, a `URL` or `Request` for another address, another `prefixUrl`, `../`) rejects
 *   with `INVALID_ARGUMENT` before the token is read;
 * - the token and the keys are added in this instance's `fetch`, on a copy of the request
 *   that only the network sees: ky's hooks (yours included), its `HTTPError` and
 *   `TimeoutError` hold requests without them;
 * - it never follows a redirect (its target could be any host): a `3xx` redirect rejects
 *   with `INVALID_RESPONSE`;
 * - on a `401` it has the token refreshed once (however many requests are refused at the
 *   same time) and sends the request again, once; a second `401` rejects with
 *   `NOT_AUTHENTICATED`;
 * - a write refused with `403` (or a `401` the refresh did not cure) while the session cannot
 *   manage (`getStatus(sessionId).canManage` is false) rejects with `SCOPE_REQUIRED` (show
 *   the login modal again), whatever the answer's body says.
 *
 * Every other answer behaves as ky's (an `HTTPError` for other statuses, by default: a `403`
 * on a read, or on a write while the session can manage, is Bolt's own refusal); your
 * `afterResponse` hooks see the answer after the retry. ky's own retries are off in this
 * instance (`retry: 0`): ky would retry the library's errors as network failures. Retry at
 * your level if you want to.
 *
 * @example
 * ```ts
 * import { createAccountClient } from 'bolt-token-lifecycle/ky'
 * const account = createAccountClient(tokens, req.session.id, { baseUrl: BOLT_SANDBOX_URL })
 * const profile = await account.get('v1/account').json()
 * await account.post('v1/account/addresses', { json: address }) // SCOPE_REQUIRED when view-only
 * ```
 * @group Account API
 */
export function createAccountClient(
  tokens: TokenManager,
  sessionId: string,
  options: AccountKyOptions = {},
): KyInstance {
  rejectPromiseArguments('createAccountClient', { tokens, sessionId, options })
  const root = accountApiRoot(tokens, options)
  const keys = merchantKeysFor(tokens, options)
  return (options.ky ?? ky).extend((defaults) => {
    const network = defaults.fetch ?? ((input, init) => globalThis.fetch(input, init))
    const config = { tokens, sessionId, options, root, keys, send: network }
    return {
      prefixUrl: root,
      // ky retries whatever its fetch throws as if the network had failed (after a backoff):
      // SCOPE_REQUIRED or INVALID_GRANT must reach the caller at once, and only once.
      retry: 0,
      // ky hands its fetch the final request, after every hook: the one place to check where
      // it goes, and to add a token that ky itself never holds.
      fetch: (input, init) =>
        sendAuthorized(
          config,
          input instanceof Request ? input : new Request(input, init),
          true,
          init,
        ),
    }
  })
}
