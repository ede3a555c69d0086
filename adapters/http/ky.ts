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
import { pinnedFetch } from './pinned-fetch.js'

export { type AccountKyOptions, createAccountClient } from './account-ky.js'

/**
 * Creates an {@link HttpTransport} on a ky instance.
 *
 * Per request it turns off ky's retries, timeout and HTTP-error throwing: the library's
 * core owns the retry policy (a refresh is not idempotent) and the deadline.
 *
 * The token request goes to Bolt's token endpoint and nowhere else, whatever the instance is
 * configured with: its `prefixUrl` and `searchParams` are ignored, redirects are not
 * followed, and the request that reaches the instance's `fetch` (after every hook) is
 * checked first. One whose origin or path was changed (by a hook returning another
 * request) is not sent: the transport rejects with a `BoltTokenError` `INVALID_ARGUMENT`,
 * which the manager reports as the `cause` of its `NETWORK_ERROR`. Your hooks still see the
 * request, API key and client secret included, as they do for any request of that instance.
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
      // The instance's own fetch (a proxy, instrumentation) still sends, behind the check.
      const pinned = instance.extend((defaults) => ({
        fetch: pinnedFetch(
          request.url,
          defaults.fetch ?? ((input, init) => globalThis.fetch(input, init)),
        ),
      }))
      const response = await pinned(request.url, {
        // A prefixUrl would turn Bolt's URL into a path under another host.
        prefixUrl: '',
        searchParams: '',
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
