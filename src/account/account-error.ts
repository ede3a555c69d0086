/**
 * The error a typed Account API method rejects with when Bolt answers with an error of its own
 * (not a scope refusal, which is `SCOPE_REQUIRED`).
 *
 * @module
 */
import { BoltTokenError, isBoltTokenError } from '../errors.js'
import { quoteServerText } from '../oauth/redact.js'
import type { AccountErrorEntry } from './types.js'

/** At most this many of Bolt's errors are kept: an answer could list any number. */
const MAX_ERRORS = 10

/**
 * Bolt's Account API answered a typed method with a non-2xx status: `code` is
 * `ACCOUNT_API_ERROR`, `status` Bolt's HTTP status, `errors` Bolt's own `errors[]` (their
 * `code`, e.g. `2001005`, to switch on; their `message` for developers, with anything that
 * looks like a secret removed). A `BoltTokenError`, so one `isBoltTokenError` check covers it.
 *
 * @example
 * ```ts
 * try {
 *   await account.deletePaymentMethod(id)
 * } catch (error) {
 *   if (isBoltAccountError(error) && error.status === 404) return // already gone
 *   throw error
 * }
 * ```
 * @group Account API
 */
export class BoltAccountError extends BoltTokenError {
  /** Bolt's HTTP status. */
  declare readonly status: number
  /** Bolt's `errors[]` (empty when the body had none, e.g. a gateway's HTML page). */
  readonly errors: readonly AccountErrorEntry[]

  constructor(
    message: string,
    details: { status: number; errors: readonly AccountErrorEntry[]; retryAfterMs?: number },
  ) {
    super('ACCOUNT_API_ERROR', message, {
      status: details.status,
      ...(details.retryAfterMs === undefined ? {} : { retryAfterMs: details.retryAfterMs }),
    })
    this.errors = details.errors
  }

  /** {@link BoltTokenError.toJSON}, with Bolt's `errors`. */
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errors: this.errors.map((entry) => ({ ...entry })) }
  }
}

/**
 * Whether `value` is a {@link BoltAccountError}: a `BoltTokenError` with code
 * `ACCOUNT_API_ERROR` (checked by name and code, so it works across realms).
 * @group Account API
 */
export function isBoltAccountError(value: unknown): value is BoltAccountError {
  return (
    isBoltTokenError(value, 'ACCOUNT_API_ERROR') &&
    Array.isArray((value as { errors?: unknown }).errors)
  )
}

/** Bolt's `errors[]` from an error body's text; `[]` for anything else. Messages are quoted safely. */
export function readAccountErrors(text: string, secrets: readonly string[]): AccountErrorEntry[] {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return []
  }
  const errors = (body as { errors?: unknown } | null)?.errors
  if (!Array.isArray(errors)) return []
  return errors.slice(0, MAX_ERRORS).flatMap((entry: unknown) => {
    const { code, message } = (entry ?? {}) as { code?: unknown; message?: unknown }
    const safeCode =
      typeof code === 'number'
        ? code
        : typeof code === 'string'
          ? quoteServerText(code, secrets, 60)
          : undefined
    if (safeCode === undefined) return []
    const safeMessage = typeof message === 'string' ? quoteServerText(message, secrets) : ''
    return [{ code: safeCode, message: safeMessage }]
  })
}

/** `Retry-After` in milliseconds, when given in seconds. */
function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after')
  return value !== null && /^\d{1,6}$/.test(value) ? Number(value) * 1000 : undefined
}

/**
 * The {@link BoltAccountError} for Bolt's error `response` to `method path`. Reads its body;
 * `secrets` (what the request carried) are removed from whatever of it is quoted.
 */
export async function accountErrorOf(
  response: Response,
  method: string,
  path: string,
  secrets: readonly string[],
): Promise<BoltAccountError> {
  const errors = readAccountErrors(await response.text().catch(() => ''), secrets)
  const first = errors[0]
  const said = first === undefined ? '' : `: ${first.code} ${first.message}`.trimEnd()
  const retry = retryAfterMs(response)
  return new BoltAccountError(
    `Bolt's Account API answered ${method} ${path} with ${response.status}${said}.`,
    { status: response.status, errors, ...(retry === undefined ? {} : { retryAfterMs: retry }) },
  )
}
