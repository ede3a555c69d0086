/**
 * How the typed Account API methods read Bolt's answers and the failures to get one, into a
 * value or one of this library's errors.
 *
 * @module
 */
import { BoltTokenError, isBoltTokenError } from '../errors.js'
import { accountErrorOf } from './account-error.js'

/** What one typed call was: for messages, and the secrets to keep out of them. */
export interface CallLabel {
  method: string
  /** The path without its query string (which may hold an email). */
  path: string
  /** Everything secret the request carried, to remove from quoted answers. */
  secrets: readonly string[]
}

/**
 * Bolt's JSON object answer, for a `2xx`; a `2xx` without a JSON object rejects with
 * `INVALID_RESPONSE`, anything else with a `BoltAccountError`.
 */
export async function readObjectAnswer(response: Response, call: CallLabel): Promise<object> {
  if (!response.ok) throw await accountErrorOf(response, call.method, call.path, call.secrets)
  let body: unknown
  try {
    body = JSON.parse(await response.text())
  } catch {
    body = undefined
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BoltTokenError(
      'INVALID_RESPONSE',
      `Bolt's Account API answered ${call.method} ${call.path} with ${response.status} but not with a JSON object.`,
      { status: response.status },
    )
  }
  return body
}

/** Nothing, for a `2xx` (whose body is discarded); a `BoltAccountError` for anything else. */
export async function readEmptyAnswer(response: Response, call: CallLabel): Promise<void> {
  if (!response.ok) throw await accountErrorOf(response, call.method, call.path, call.secrets)
  await response.body?.cancel()
}

/**
 * The error for a call that got no answer: the library's own errors as they are, an abort by
 * the caller's `signal` as it is, a timeout (`AbortSignal.timeout`) as `TIMEOUT`, anything
 * else (refused, reset, DNS) as `NETWORK_ERROR`.
 */
export function unanswered(error: unknown, call: CallLabel): unknown {
  if (isBoltTokenError(error)) return error
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'AbortError') return error
  if (name === 'TimeoutError') {
    return new BoltTokenError(
      'TIMEOUT',
      `Bolt's Account API did not answer ${call.method} ${call.path} in time: Bolt may or may not have applied it (retry a write with the same idempotencyKey).`,
      { cause: error },
    )
  }
  return new BoltTokenError(
    'NETWORK_ERROR',
    `Bolt's Account API could not be reached for ${call.method} ${call.path}: retry later (a write with the same idempotencyKey).`,
    { cause: error },
  )
}
