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
  redirectRefused,
  replacementToken,
  scopeRefused,
  stillRefused,
} from './account-auth.js'
import { requireUnderApiRoot } from './api-root.js'
import { type MerchantKeys, setMerchantKeys } from './merchant-keys.js'

/** Whether `method` changes the account (anything but a read). */
export const isWrite = (method: string): boolean => method !== 'GET' && method !== 'HEAD'

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
  /** The merchant's keys, sent with the token, to the same place only. */
  keys: MerchantKeys
  /** The `fetch` that reaches the network: the only code that sees the token. */
  send: (input: Request, init?: RequestInit) => Promise<Response>
}

/**
 * Sends `request` (which carries no token) as the session, and returns Bolt's answer:
 *
 * - its URL must be under the API root, or it rejects with `INVALID_ARGUMENT` before the
 *   token is read;
 * - the token, the API key (`X-API-Key`) and the publishable key go on a copy handed to
 *   `config.send` only: `request` itself never carries them, so no hook, error or log that
 *   holds `request` can show them;
 * - redirects are not followed (`redirect: 'manual'`): a redirect rejects with
 *   `INVALID_RESPONSE`, as Bolt's Account API does not redirect and its target could be
 *   any host;
 * - a `401` has the token refreshed once and the request sent again, once, when
 *   `replayable` (a second `401` rejects with `NOT_AUTHENTICATED`); otherwise the `401` is
 *   returned;
 * - a write refused with `403`, or with a `401` the refresh did not cure, while the session
 *   cannot manage (`getStatus(sessionId).canManage` is false) rejects with `SCOPE_REQUIRED`,
 *   whatever the answer's body says: Bolt documents no wording for it. A `403` on a read, or
 *   on a write while the session can manage, is returned as Bolt's answer.
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
  const write = isWrite(method)
  // Taken before the first send consumes the body, for the one retry after a 401.
  const spare = replayable ? request.clone() : undefined
  const withToken = (source: Request, accessToken: string) => {
    const headers = new Headers(source.headers)
    headers.set('authorization', bearer(accessToken))
    setMerchantKeys(headers, config.keys)
    return config.send(new Request(source, { headers, redirect: 'manual' }), init)
  }

  let response = await withToken(request, first)
  const refreshed = response.status === 401 && spare !== undefined
  if (refreshed) {
    await response.body?.cancel()
    response = await withToken(spare, await replacementToken(tokens, sessionId, first, options))
  }
  if (isRedirect(response)) {
    await response.body?.cancel()
    throw redirectRefused(method, path, response.status)
  }
  const refused = response.status === 403 || (refreshed && response.status === 401)
  if (write && refused && !(await canManageNow(config, response))) {
    await response.body?.cancel()
    throw scopeRefused(method, path, response.status)
  }
  if (refreshed && response.status === 401) {
    await response.body?.cancel()
    throw stillRefused(method, path)
  }
  return response
}

/**
 * Whether the session may manage the account now: the one thing that decides whether a
 * refused write needs a login. A store failure here cancels `response` and is thrown.
 */
async function canManageNow(config: AuthorizedRequestConfig, response: Response) {
  try {
    return (await config.tokens.getStatus(config.sessionId)).canManage
  } catch (error) {
    await response.body?.cancel()
    throw error
  }
}
