/**
 * The examples' calls to Bolt's Account API (`GET /v1/account`, `POST /v1/account/addresses`)
 * for one shopper session, on the library's `createAccountFetch`: it adds the session's token,
 * refreshes it when expired, refreshes once and retries once on a 401, and turns Bolt's
 * `403 insufficient_scope` into `SCOPE_REQUIRED`. This file only reads the JSON and turns
 * other failures into {@link AccountApiError}.
 */
import { createAccountFetch, isBoltTokenError, type TokenManager } from 'bolt-token-lifecycle'

/** Bolt's Account API did not answer with success. Never carries the access token. */
export class AccountApiError extends Error {
  override readonly name = 'AccountApiError'
  /** Bolt's HTTP status, or `0` when no answer came (network failure, timeout). */
  readonly status: number
  /** Bolt's `error` string (e.g. `insufficient_scope`), when its body had one. */
  readonly boltError?: string
  /** Bolt's `error_description`, when its body had one (shown to the shopper on a 400). */
  readonly description?: string
  /** Bolt's `Retry-After` in milliseconds, when it sent one in seconds. */
  readonly retryAfterMs?: number

  constructor(
    message: string,
    details: {
      status: number
      boltError?: string | undefined
      description?: string | undefined
      retryAfterMs?: number | undefined
      cause?: unknown
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.status = details.status
    if (details.boltError !== undefined) this.boltError = details.boltError
    if (details.description !== undefined) this.description = details.description
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs
  }
}

/** The Account API calls the examples make, for one session. */
export interface BoltAccountApi {
  /** `GET /v1/account`: needs `bolt.account.view` or `bolt.account.manage`. */
  getAccount(sessionId: string): Promise<unknown>
  /**
   * `POST /v1/account/addresses`: needs `bolt.account.manage`, asked for up front, so a
   * view-only session fails with `SCOPE_REQUIRED` without calling Bolt.
   */
  addAddress(sessionId: string, address: Record<string, unknown>): Promise<unknown>
}

function shortString(value: unknown, max = 200): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined
}

/** Creates the client. `baseUrl` is the one given to `createTokenManager`. */
export function createBoltAccountApi(
  tokens: TokenManager,
  baseUrl: string,
  options: { timeoutMs?: number } = {},
): BoltAccountApi {
  const timeoutMs = options.timeoutMs ?? 10_000

  async function call(
    sessionId: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const account = createAccountFetch(tokens, sessionId, {
      baseUrl,
      ...(method === 'POST' ? { scope: 'bolt.account.manage' as const } : {}),
    })
    let response: Response
    try {
      response = await account(path, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (cause) {
      // The library's own errors (SCOPE_REQUIRED, NOT_AUTHENTICATED, …) go to the error handler.
      if (isBoltTokenError(cause)) throw cause
      throw new AccountApiError(`Bolt's Account API did not answer ${method} ${path}.`, {
        status: 0,
        cause,
      })
    }
    const text = await response.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    if (response.ok && json !== undefined) return json
    const fields =
      typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {}
    const retryAfter = response.headers.get('retry-after')
    throw new AccountApiError(
      `Bolt's Account API answered ${method} ${path} with status ${response.status}.`,
      {
        status: response.ok ? 502 : response.status,
        boltError: shortString(fields.error, 60),
        description: shortString(fields.error_description),
        retryAfterMs:
          retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined,
      },
    )
  }

  return {
    getAccount: (sessionId) => call(sessionId, 'GET', '/v1/account'),
    addAddress: (sessionId, address) => call(sessionId, 'POST', '/v1/account/addresses', address),
  }
}
