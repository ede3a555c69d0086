import { parseFault } from './faults.js'
import { errorReply, jsonReply, noContentReply, type Reply } from './http.js'
import type { BoltEmulator, InjectFaultOptions, LoginOptions } from './types.js'

/** The prefix of the control API. */
export const CONTROL_PREFIX = '/__emulator/'

/** A control API request, read off the wire. */
export interface ControlRequest {
  method: string
  path: string
  query: URLSearchParams
  body: string
}

const LOGIN_FIELDS = [
  'email',
  'emailVerified',
  'firstName',
  'lastName',
  'phone',
  'phoneVerified',
  'state',
  'scope',
] as const

/**
 * Answers the control API, the HTTP twin of {@link BoltEmulator}'s methods for
 * a test runner or CLI in another process. **Local testing only**: it has no
 * authentication, and anyone who reaches it can mint login codes, move the
 * clock and revoke sessions. The server lets through only requests addressed to
 * a loopback `Host`, and state changes only as same-origin JSON requests
 * (`checkLocalRequest`), so a web page cannot drive it from a browser.
 *
 * - `POST /__emulator/login` `{email?, firstName?, lastName?, phone?, emailVerified?, phoneVerified?, state?, scope?}` → `{code, state?}`
 * - `GET /__emulator/shopper?email=…` → the shopper account (404 when no login created it)
 * - `POST /__emulator/clock/advance` `{ms}` → `{now}`; `GET /__emulator/clock` → `{now}`
 * - `GET /__emulator/stats` → the counters; `DELETE /__emulator/stats` resets them and the request log
 * - `GET /__emulator/requests` → the recorded token requests (refresh tokens as `tokenHash` hashes)
 * - `POST /__emulator/faults` `{fault, times?, route?}` → 204; `DELETE /__emulator/faults` → 204
 * - `POST /__emulator/revoke` `{token}` → 204 (404 for an unknown token)
 * - `POST /__emulator/signing-key/rotate` → `{jwk}`, the new public key
 * - `PUT /__emulator/jwks/available` `{available}` → 204 (`false`: the JWKS answers 503)
 */
export async function answerControlRequest(
  emulator: BoltEmulator,
  request: ControlRequest,
): Promise<Reply> {
  const route = `${request.method} ${request.path.slice(CONTROL_PREFIX.length)}`
  let input: Record<string, unknown>
  try {
    input = parseJsonObject(request.body)
  } catch (error) {
    return errorReply(400, 'invalid_request', (error as Error).message)
  }
  try {
    switch (route) {
      case 'POST login':
        return jsonReply(200, emulator.login(pick<LoginOptions>(input, LOGIN_FIELDS)))
      case 'GET shopper': {
        const shopper = emulator.shopper(request.query.get('email') ?? undefined)
        if (shopper === undefined) {
          return errorReply(404, 'not_found', 'No shopper with this email has logged in')
        }
        return jsonReply(200, shopper)
      }
      case 'POST signing-key/rotate':
        return jsonReply(200, { jwk: await emulator.rotateSigningKey() })
      case 'PUT jwks/available':
        emulator.setJwksAvailable(input.available as boolean)
        return noContentReply()
      case 'POST clock/advance':
        emulator.advanceClock(input.ms as number)
        return jsonReply(200, { now: emulator.now() })
      case 'GET clock':
        return jsonReply(200, { now: emulator.now() })
      case 'GET stats':
        return jsonReply(200, emulator.stats)
      case 'DELETE stats':
        emulator.resetStats()
        return noContentReply()
      case 'GET requests':
        return jsonReply(200, emulator.requests)
      case 'POST faults':
        emulator.injectFault(
          parseFault(input.fault),
          pick<InjectFaultOptions>(input, ['times', 'route']),
        )
        return noContentReply()
      case 'DELETE faults':
        emulator.clearFaults()
        return noContentReply()
      case 'POST revoke':
        if (typeof input.token !== 'string') throw new TypeError('token must be a string')
        try {
          emulator.revokeSession(input.token)
        } catch {
          return errorReply(404, 'not_found', 'The emulator never issued that token')
        }
        return noContentReply()
      default:
        return errorReply(
          404,
          'not_found',
          `No control route for ${request.method} ${request.path}`,
        )
    }
  } catch (error) {
    if (error instanceof TypeError) return errorReply(400, 'invalid_request', error.message)
    throw error
  }
}

function parseJsonObject(body: string): Record<string, unknown> {
  if (body.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    throw new Error('The body must be JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('The body must be a JSON object')
  }
  return value as Record<string, unknown>
}

/** The listed keys of `input` that are present, so absent options keep their defaults. */
function pick<T>(input: Record<string, unknown>, keys: readonly string[]): T {
  const picked: Record<string, unknown> = {}
  for (const key of keys) {
    if (input[key] !== undefined) picked[key] = input[key]
  }
  return picked as T
}
