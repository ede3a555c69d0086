/**
 * A transport on undici's `request`, for Node: the same HTTP client that Node's `fetch` is
 * built on, without the WHATWG layer (`Request`, `Response`, streams, transferable signals)
 * that costs most of a `fetch` call's CPU. undici is an optional peer dependency.
 *
 * @module
 */
import { type Dispatcher, request as undiciRequest } from 'undici'
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/contracts.js'
import { ResponseTooLargeError } from './body.js'

/**
 * Options of {@link createUndiciTransport}.
 * @group Transports
 */
export interface UndiciTransportOptions {
  /**
   * The undici dispatcher that sends the requests: an `Agent` with your pool settings, a
   * `ProxyAgent`, a `MockAgent` in your own tests.
   * @default undici's global dispatcher (the one Node's `fetch` uses too)
   */
  dispatcher?: Dispatcher
}

type ResponseBody = Dispatcher.ResponseData['body']

/** A header as one string: repeated ones joined, as `fetch` joins them. */
function headerRecord(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const record: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return record
}

/** Reads the body as text, stopping (and dropping the connection's rest) past `maxBytes`. */
async function readCapped(
  body: ResponseBody,
  headers: Record<string, string>,
  maxBytes: number | undefined,
): Promise<string> {
  if (maxBytes === undefined) return body.text()
  const length = headers['content-length']
  const declared = length === undefined ? Number.NaN : Number(length)
  if (Number.isFinite(declared) && declared > maxBytes) {
    body.destroy()
    throw new ResponseTooLargeError(maxBytes)
  }
  // A declared length within the cap bounds the body (undici enforces it): read it at once.
  if (Number.isInteger(declared) && declared >= 0) return body.text()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > maxBytes) {
      body.destroy()
      throw new ResponseTooLargeError(maxBytes)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/**
 * Creates an {@link HttpTransport} on undici's `request` (Node 20.18 or later). A token
 * request costs a fraction of the CPU of one through `fetch` (`npm run bench`, `refresh`), so
 * choose it on Node when refreshes are many. Redirects are not followed (the core reports a
 * 3xx), bodies are not decompressed (the token endpoint's answers are small JSON), and a
 * failure to connect rejects with the error's `code` (`ECONNREFUSED`, …) on `cause`, as
 * `fetch` reports it, so the manager can tell that nothing was sent.
 *
 * @example
 * ```ts
 * import { createUndiciTransport } from 'bolt-token-lifecycle/undici'
 * const tokens = createTokenManager({ clientId, clientSecret, http: createUndiciTransport() })
 * ```
 * @group Transports
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): HttpTransport {
  const { dispatcher } = options
  return {
    async send(request: HttpRequest): Promise<HttpResponse> {
      let response: Dispatcher.ResponseData
      try {
        response = await undiciRequest(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          signal: request.signal,
          ...(dispatcher === undefined ? {} : { dispatcher }),
        })
      } catch (error) {
        if (request.signal.aborted) throw error
        throw new TypeError(`request failed: ${(error as Error).message}`, { cause: error })
      }
      const headers = headerRecord(response.headers)
      const body = await readCapped(response.body, headers, request.maxBodyBytes)
      return { status: response.statusCode, headers, body }
    },
  }
}
