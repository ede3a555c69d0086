/**
 * The examples' calls to Bolt's Account API for one shopper session, on the library's
 * `createAccountApi`: it sends the session's token with your API key, refreshes the token when
 * expired, refreshes once and retries once on a 401, asks for `bolt.account.manage` before a
 * write (`SCOPE_REQUIRED` on a view-only session, without calling Bolt), and rejects with
 * `ACCOUNT_API_ERROR` (Bolt's `errors[]` on it) when Bolt refuses. This file only adds a
 * timeout.
 */
import {
  type AccountDetails,
  type Address,
  type AddressInput,
  createAccountApi,
  type TokenManager,
} from 'bolt-token-lifecycle'

/** The Account API calls the examples make, for one session. */
export interface BoltAccountApi {
  /** `GET /v1/account`: needs `bolt.account.view` or `bolt.account.manage`. */
  getAccount(sessionId: string): Promise<AccountDetails>
  /** `POST /v1/account/addresses`: needs `bolt.account.manage` (`SCOPE_REQUIRED` without it). */
  addAddress(sessionId: string, address: AddressInput): Promise<Address>
}

/** Creates the client. `baseUrl` is the one given to `createTokenManager`. */
export function createBoltAccountApi(
  tokens: TokenManager,
  baseUrl: string,
  options: { timeoutMs?: number } = {},
): BoltAccountApi {
  const timeoutMs = options.timeoutMs ?? 10_000
  // A timeout is TIMEOUT, which the error mapping answers 503 "retry later".
  const within = () => ({ signal: AbortSignal.timeout(timeoutMs) })
  const account = (sessionId: string) => createAccountApi(tokens, sessionId, { baseUrl })
  return {
    getAccount: (sessionId) => account(sessionId).getDetails(within()),
    addAddress: (sessionId, address) => account(sessionId).addAddress(address, within()),
  }
}
