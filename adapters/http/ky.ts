/**
 * A transport on ky, for merchants who already configure ky (hooks, proxies, logging).
 * ky is an optional peer dependency.
 *
 * @module
 */
import ky, { type KyInstance } from 'ky'
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/contracts.js'
import { REDACTED } from '../../src/oauth/redact.js'
import { readBodyCapped } from './body.js'
import { headersToRecord } from './headers.js'
import { pinnedFetch } from './pinned-fetch.js'

export { type AccountKyOptions, createAccountClient } from './account-ky.js'

/** Headers and form fields of a token request that carry a secret. */
const SECRET_HEADERS = ['x-api-key', 'authorization']
const SECRET_FIELDS = ['client_secret', 'code', 'refresh_token']

/** The request as ky and its hooks see it: every secret replaced by `[redacted]`. */
function maskSecrets(request: HttpRequest): { headers: Record<string, string>; body?: string } {
  const headers = { ...request.headers }
  for (const name of SECRET_HEADERS) if (name in headers) headers[name] = REDACTED
  if (request.body === undefined) return { headers }
  const form = new URLSearchParams(request.body)
  for (const field of SECRET_FIELDS) if (form.has(field)) form.set(field, REDACTED)
  return { headers, body: form.toString() }
}

/**
 * The request to send: what ky made of it after its hooks (headers they added are kept),
 * with the real secret headers and the real body put back.
 */
function withSecrets(checked: Request, original: HttpRequest): Request {
  const headers = new Headers(checked.headers)
  for (const name of SECRET_HEADERS) {
    const value = original.headers[name]
    if (value !== undefined) headers.set(name, value)
  }
  // ky waits for every copy of the body it made to be read or cancelled: this one is not sent.
  void checked.body?.cancel().catch(() => {})
  return new Request(checked.url, {
    method: checked.method,
    headers,
    signal: checked.signal,
    ...(original.body === undefined ? {} : { body: original.body }),
  })
}

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
 * which the manager passes on (nothing was sent). Your hooks, and ky's errors, see the
 * request with the API key, the client secret, the code and the refresh token replaced by
 * `[redacted]`: the real ones are put back only in the `fetch` that sends it (your
 * instance's own `fetch`, if it has one, gets the real request, as a network layer must).
 *
 * @param instance - your ky instance (with its hooks and defaults); the default ky otherwise.
 * @example
 * ```ts
 * import ky from 'ky'
 * import { createKyTransport } from 'bolt-token-lifecycle/ky'
 * const tokens = createTokenManager({ clientId, clientSecret, http: createKyTransport(ky.create({ hooks })) })
 * ```
 * @group Transports
 */
export function createKyTransport(instance: KyInstance = ky): HttpTransport {
  return {
    async send(request: HttpRequest): Promise<HttpResponse> {
      const masked = maskSecrets(request)
      // The instance's own fetch (a proxy, instrumentation) still sends, behind the check.
      const pinned = instance.extend((defaults) => ({
        fetch: pinnedFetch(
          request.url,
          defaults.fetch ?? ((input, init) => globalThis.fetch(input, init)),
          (checked) => withSecrets(checked, request),
        ),
      }))
      const response = await pinned(request.url, {
        // A prefixUrl would turn Bolt's URL into a path under another host.
        prefixUrl: '',
        searchParams: '',
        method: request.method,
        headers: masked.headers,
        ...(masked.body === undefined ? {} : { body: masked.body }),
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
