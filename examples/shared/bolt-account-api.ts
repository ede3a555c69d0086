/**
 * A minimal client of Bolt's Account API for the examples: `GET /v1/account` and
 * `POST /v1/account/addresses`, with the access token bolt-token-lifecycle hands out.
 */

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

/** The Account API calls the examples make. */
export interface BoltAccountApi {
  /** `GET /v1/account`: needs `bolt.account.view` or `bolt.account.manage`. */
  getAccount(accessToken: string): Promise<unknown>
  /** `POST /v1/account/addresses`: needs `bolt.account.manage`. */
  addAddress(accessToken: string, address: Record<string, unknown>): Promise<unknown>
}

function shortString(value: unknown, max = 200): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined
}

/** Creates the client. `baseUrl` is the one given to `createTokenManager`. */
export function createBoltAccountApi(
  baseUrl: string,
  options: { timeoutMs?: number } = {},
): BoltAccountApi {
  const root = baseUrl.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 10_000

  async function call(
    method: 'GET' | 'POST',
    path: string,
    accessToken: string,
    body?: unknown,
  ): Promise<unknown> {
    let response: Response
    try {
      response = await fetch(`${root}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (cause) {
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
    getAccount: (accessToken) => call('GET', '/v1/account', accessToken),
    addAddress: (accessToken, address) =>
      call('POST', '/v1/account/addresses', accessToken, address),
  }
}
