/**
 * What every route handler of the example shares: reading the request, and turning what it
 * throws into the HTTP answer the Express, Fastify and Hono examples give (examples/shared).
 */
import { logToStderr } from '../../shared/app-options.js'
import { handleError } from '../../shared/http-errors.js'

// The shared body readers: anything but what a route expects is a 400 BAD_REQUEST.
export { readAddress, readLoginCallback } from '../../shared/requests.js'

/** The `Cookie` header, as the shared session helper reads it. */
export const cookieOf = (request: Request): string | undefined =>
  request.headers.get('cookie') ?? undefined

/** The JSON body, or `undefined` when it is not JSON (the body readers then answer 400). */
export const jsonBody = (request: Request): Promise<unknown> =>
  request.json().catch(() => undefined)

/**
 * Runs a route handler's `work`; an error becomes the shared mapping's answer (a 5xx is also
 * logged, secret-free, on stderr).
 */
export async function answer(request: Request, work: () => Promise<Response>): Promise<Response> {
  try {
    return await work()
  } catch (error) {
    const where = { method: request.method, url: new URL(request.url).pathname }
    const { status, body, headers } = handleError(error, where, logToStderr)
    return Response.json(body, { status, headers })
  }
}
