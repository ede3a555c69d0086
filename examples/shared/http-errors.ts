/**
 * The error → HTTP mapping the framework examples share: each framework's error handler calls
 * {@link handleError} and writes what it returns. A `BoltTokenError` gets the library's answer
 * (`httpAnswerFor`, the one the NestJS exception filter gives too); this file adds the answers
 * for what the examples themselves throw (a body a route cannot use) and for the framework's
 * own 4xx.
 *
 * Bodies are built from constants: no token, code or secret can reach the browser. Details go
 * to the server log, for 5xx answers only, through {@link errorForLog}.
 *
 * See docs/errors.md for what every code means.
 */
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  type HttpErrorAnswer,
  type HttpErrorBody,
  httpAnswerFor,
  isBoltTokenError,
} from 'bolt-token-lifecycle'
import { BadRequestError } from './requests.js'

/** What the frontend gets: the library's {@link HttpErrorBody}. */
export type ErrorBody = HttpErrorBody

/** An HTTP answer for a failed request: the library's {@link HttpErrorAnswer}. */
export type ErrorResponse = HttpErrorAnswer

export { DEFAULT_RETRY_AFTER_SECONDS }

/** A 4xx the framework itself raised (unparsable JSON, unsupported media type, too large). */
function frameworkClientError(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
  const code = typeof statusCode === 'number' ? statusCode : status
  return typeof code === 'number' && code >= 400 && code < 500 ? code : undefined
}

/** The HTTP answer for anything a route threw. */
export function errorResponse(error: unknown): ErrorResponse {
  if (isBoltTokenError(error)) return httpAnswerFor(error)
  if (error instanceof BadRequestError) {
    return { status: 400, body: { error: 'BAD_REQUEST', message: error.message }, headers: {} }
  }
  const status = frameworkClientError(error)
  if (status !== undefined) return { status, body: { error: 'BAD_REQUEST' }, headers: {} }
  return { status: 500, body: { error: 'INTERNAL_ERROR' }, headers: {} }
}

/** A secret-free description of `error` for the server log. */
export function errorForLog(error: unknown): Record<string, unknown> {
  if (isBoltTokenError(error)) return error.toJSON()
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: typeof error }
}

/** What the examples log about a request that failed with a 5xx. */
export interface ErrorLogEntry {
  method: string
  /** The path without its query string. */
  path: string
  status: number
  error: Record<string, unknown>
}

/** Maps `error` to its HTTP answer, and logs it when that answer is a 5xx. */
export function handleError(
  error: unknown,
  request: { method: string; url: string },
  log: (entry: ErrorLogEntry) => void,
): ErrorResponse {
  const response = errorResponse(error)
  if (response.status >= 500) {
    const path = request.url.split('?')[0] ?? ''
    log({ method: request.method, path, status: response.status, error: errorForLog(error) })
  }
  return response
}
