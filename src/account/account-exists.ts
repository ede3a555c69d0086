/**
 * `GET /v1/account/exists`: whether an email has a Bolt account. No shopper session: only the
 * publishable key.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'
import { credentialsOf } from '../manager/credentials.js'
import type { TokenManager } from '../manager/token-manager.js'
import { rejectPromiseArguments } from '../promise-argument.js'
import { readObjectAnswer, unanswered } from './account-answer.js'
import { isRedirect, redirectRefused } from './account-auth.js'
import { PUBLISHABLE_KEY_HEADER } from './merchant-keys.js'

/**
 * Options of {@link accountExists}: a token manager to take the publishable key and base URL
 * from, or both given.
 * @group Account API
 */
export interface AccountExistsOptions {
  /** A manager `createTokenManager` made: its `clientId` and `baseUrl` are used. */
  tokens?: TokenManager
  /** Your publishable key (`X-Publishable-Key`). @default the manager's `clientId` */
  publishableKey?: string
  /** Bolt's API base URL. @default the manager's `baseUrl` */
  baseUrl?: string
  /** The `fetch` to call. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** Aborts the call (`AbortSignal.timeout(ms)` makes it a `TIMEOUT`). */
  signal?: AbortSignal
}

const PATH = '/v1/account/exists'

/**
 * Asks Bolt whether `email` has a Bolt account (`GET /v1/account/exists?email=…`). It sends
 * your publishable key only: never the API key, never a shopper's token. Redirects are not
 * followed.
 *
 * @example
 * ```ts
 * if (await accountExists(email, { tokens })) showBoltLogin()
 * ```
 * @returns Bolt's `has_bolt_account`.
 * @throws {BoltTokenError} `INVALID_ARGUMENT` (no email, no publishable key or no base URL),
 *   `ACCOUNT_API_ERROR` (Bolt's refusal, e.g. `422`), `INVALID_RESPONSE`, `NETWORK_ERROR`,
 *   `TIMEOUT`.
 * @group Account API
 */
export async function accountExists(
  email: string,
  options: AccountExistsOptions = {},
): Promise<boolean> {
  rejectPromiseArguments('accountExists', { email, options })
  const publishableKey =
    options.publishableKey ||
    (options.tokens === undefined ? undefined : credentialsOf(options.tokens)?.clientId)
  const baseUrl = options.baseUrl || options.tokens?.baseUrl
  if (typeof email !== 'string' || email === '') {
    throw new BoltTokenError('INVALID_ARGUMENT', 'accountExists needs the email to look up.')
  }
  if (!publishableKey || !baseUrl) {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      'accountExists needs { tokens } (a manager createTokenManager made), or { publishableKey, baseUrl }.',
    )
  }
  const call = { method: 'GET', path: PATH, secrets: [] }
  const url = `${baseUrl.replace(/\/+$/, '')}${PATH}?${new URLSearchParams({ email })}`
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  let response: Response
  try {
    response = await send(url, {
      headers: { accept: 'application/json', [PUBLISHABLE_KEY_HEADER]: publishableKey },
      redirect: 'manual',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
  } catch (error) {
    throw unanswered(error, call)
  }
  if (isRedirect(response)) {
    await response.body?.cancel()
    throw redirectRefused(call.method, call.path, response.status)
  }
  const answer = (await readObjectAnswer(response, call)) as { has_bolt_account?: unknown }
  if (typeof answer.has_bolt_account !== 'boolean') {
    throw new BoltTokenError(
      'INVALID_RESPONSE',
      `Bolt's Account API answered GET ${PATH} without a boolean has_bolt_account.`,
      { status: response.status },
    )
  }
  return answer.has_bolt_account
}
