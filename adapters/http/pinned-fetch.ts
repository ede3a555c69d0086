/**
 * A `fetch` that sends to one URL only: the ky transport's guard against a ky instance
 * (`prefixUrl`, `searchParams`, a hook) sending the token request, with the API key and the
 * client secret, somewhere else.
 *
 * @module
 */
import { BoltTokenError } from '../../src/errors.js'

/** The `fetch` signature ky calls. */
type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * Wraps `network` so that it sends only requests whose origin and path are `expected`'s,
 * and never follows a redirect. Anything else rejects with `INVALID_ARGUMENT` before any
 * byte is sent. `restore` turns the checked request into the one to send (the ky transport
 * puts back the secrets it kept from ky's hooks).
 */
export function pinnedFetch(
  expected: string,
  network: Fetch,
  restore: (request: Request) => Request = (request) => request,
): Fetch {
  const target = new URL(expected)
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    if (url.origin !== target.origin || url.pathname !== target.pathname) {
      void request.body?.cancel().catch(() => {})
      throw new BoltTokenError(
        'INVALID_ARGUMENT',
        'Not sent: the ky instance given to createKyTransport changed the token request’s URL (a prefixUrl, or a hook returning another request). Remove that from the instance you pass; the token request must go to Bolt’s token endpoint.',
      )
    }
    return network(new Request(restore(request), { redirect: 'manual' }), init)
  }
}
