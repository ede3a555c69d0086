/**
 * A `fetch` for Bolt's Account API on behalf of one shopper session.
 *
 * @module
 */
import type { TokenManager } from '../manager/token-manager.js'
import { rejectPromiseArguments } from '../promise-argument.js'
import type { AccountClientOptions } from './account-auth.js'
import { accountApiRoot, accountUrl } from './api-root.js'
import { sendAuthorized } from './authorized-request.js'
import { merchantKeysFor } from './merchant-keys.js'

/**
 * Options of {@link createAccountFetch}.
 * @group Account API
 */
export interface AccountFetchOptions extends AccountClientOptions {
  /** The `fetch` to call. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

/**
 * Calls Bolt's Account API: `path` is relative to the API root and starts with `/` (e.g.
 * `/v1/account`); a path that is not, or that resolves outside the root (`/../x`), rejects
 * with `INVALID_ARGUMENT` before the token is read. `init` is fetch's, without
 * `Authorization` (it is added) and without `redirect` (redirects are never followed).
 * @group Account API
 */
export type AccountFetch = (path: string, init?: RequestInit) => Promise<Response>

/**
 * Creates a `fetch` for Bolt's Account API that acts for one shopper session:
 *
 * - it adds the session's access token (`Authorization: Bearer …`), refreshing it first
 *   when it has expired, and your API key (`X-API-Key`) and publishable key
 *   (`X-Publishable-Key`), as Bolt requires, only to requests under the API root
 *   (`baseUrl`'s origin and path); they are on the request handed to `options.fetch` and
 *   nowhere else. The keys are the manager's own (`clientSecret`, `clientId`); for a
 *   `TokenManager` of your own making, pass `apiKey` (and `publishableKey`);
 * - it never follows a redirect (a redirect's target could be any host): a `3xx` redirect
 *   rejects with `INVALID_RESPONSE`;
 * - on a `401` it has the token refreshed once (however many requests are refused at the
 *   same time) and sends the request again, once; a second `401` rejects with
 *   `NOT_AUTHENTICATED`. A body that is a stream cannot be sent twice: the `401` is returned;
 * - a write refused with `403` (or a `401` the refresh did not cure) while the session cannot
 *   manage (`getStatus(sessionId).canManage` is false) rejects with `SCOPE_REQUIRED` (show
 *   the login modal again). This is decided from the session, never from the answer's
 *   wording.
 *
 * Every other answer is returned as it is: a `403` on a read, or on a write while the session
 * can manage, is Bolt's own refusal (see its `errors[].code`). For typed methods that read
 * the answers for you, see `createAccountApi`.
 *
 * @example
 * ```ts
 * const account = createAccountFetch(tokens, req.session.id, { baseUrl: BOLT_SANDBOX_URL })
 * const profile = await (await account('/v1/account')).json()
 * ```
 * @throws {BoltTokenError} `INVALID_ARGUMENT` at once when no API key is known (see
 *   `apiKey`); from the returned function: what `getAccessToken` throws,
 *   `INVALID_ARGUMENT`, `SCOPE_REQUIRED`, `NOT_AUTHENTICATED`, `INVALID_RESPONSE`.
 * @group Account API
 */
export function createAccountFetch(
  tokens: TokenManager,
  sessionId: string,
  options: AccountFetchOptions = {},
): AccountFetch {
  rejectPromiseArguments('createAccountFetch', { tokens, sessionId, options })
  const root = accountApiRoot(tokens, options)
  const keys = merchantKeysFor(tokens, options)
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const config = { tokens, sessionId, options, root, keys, send }
  return async (path, init = {}) =>
    sendAuthorized(
      config,
      new Request(accountUrl(root, path), init),
      // A stream cannot be read twice without holding all of it: its 401 is returned instead.
      !(init.body instanceof ReadableStream),
    )
}
