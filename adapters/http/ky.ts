/**
 * A transport on ky, for merchants who already configure ky (hooks, proxies, logging).
 * ky is an optional peer dependency.
 *
 * @module
 */
import ky, { type KyInstance } from 'ky'
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/contracts.js'
import { readBodyCapped } from './body.js'
import { headersToRecord } from './headers.js'

export { type AccountKyOptions, createAccountClient } from './account-ky.js'

/**
 * Creates an {@link HttpTransport} on a ky instance.
 *
 * Per request it turns off ky's retries, timeout and HTTP-error throwing: the library's
 * core owns the retry policy (a refresh is not idempotent) and the deadline.
 *
 * @param instance - your ky instance (with its hooks and defaults); the default ky otherwise.
 * @example
 * ```ts
 * import ky from 'ky'
 * import { createKyTransport } from 'bolt-token-lifecycle/ky'
 * const tokens = createTokenManager({ clientId, clientSecret, http: createKyTransport(ky.create({ hooks })) })
 * ```
 */
export function createKyTransport(instance: KyInstance = ky): HttpTransport {
  return {
    async send(request: HttpRequest): Promise<HttpResponse> {
      const response = await instance(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: request.signal,
        redirect: 'manual',
        retry: 0,
        timeout: false,
        throwHttpErrors: false,
      })
      const body = await readBodyCapped(response, request.maxBodyBytes)
      return { status: response.status, headers: headersToRecord(response.headers), body }
    },
  }
}
