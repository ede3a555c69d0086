/**
 * The default transport: the runtime's own `fetch` (Node ≥ 20, Bun, Deno, workerd).
 *
 * @module
 */
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/contracts.js'
import { readBodyCapped } from './body.js'
import { headersToRecord } from './headers.js'

/**
 * Options of {@link createFetchTransport}.
 * @group Transports
 */
export interface FetchTransportOptions {
  /**
   * The `fetch` to use, e.g. one with a custom dispatcher or instrumentation.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
}

/**
 * Creates an {@link HttpTransport} on `fetch`.
 *
 * @example
 * ```ts
 * import { createFetchTransport } from 'bolt-token-lifecycle/fetch'
 * const tokens = createTokenManager({ clientId, clientSecret, http: createFetchTransport() })
 * ```
 * @group Transports
 */
export function createFetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  return {
    async send(request: HttpRequest): Promise<HttpResponse> {
      // Looked up per call so that instrumentation patching globalThis.fetch later still applies.
      const fetchImpl = options.fetch ?? globalThis.fetch
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: request.signal,
        // A redirect would resend the API key elsewhere; the core reports 3xx instead.
        redirect: 'manual',
      })
      const body = await readBodyCapped(response, request.maxBodyBytes)
      return { status: response.status, headers: headersToRecord(response.headers), body }
    },
  }
}
