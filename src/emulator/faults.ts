import { STATUS_CODES } from 'node:http'
import { randomToken } from './random-id.js'
import type { EmulatorFault, FaultRoute, InjectFaultOptions } from './types.js'

/**
 * Ready-made faults for what a token endpoint behind a load balancer really
 * does on a bad day.
 *
 * @example
 * emulator.injectFault(faults.html(502))
 * emulator.injectFault(faults.rateLimited('30'), { times: 3 })
 * @group Emulator
 */
export const faults = {
  /** An nginx-style HTML error page (e.g. 502 Bad Gateway, 504 Gateway Time-out). */
  html(status: number): EmulatorFault {
    const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
    return {
      type: 'respond',
      status,
      headers: { 'content-type': 'text/html' },
      body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    }
  },

  /** A 200 whose JSON body is cut off mid-way. */
  malformedJson(): EmulatorFault {
    return { type: 'respond', status: 200, body: '{"access_token":"at_trunc' }
  },

  /** A 200 JSON token response with every field except `access_token`. */
  missingAccessToken(): EmulatorFault {
    return {
      type: 'respond',
      status: 200,
      body: JSON.stringify({
        expires_in: 3600,
        refresh_token: randomToken('rt_'),
        refresh_token_scope: 'bolt.account.view',
        scope: 'bolt.account.view',
        token_type: 'bearer',
      }),
    }
  },

  /** A 429 with a `Retry-After` header (seconds, or an HTTP date). */
  rateLimited(retryAfter: string): EmulatorFault {
    return {
      type: 'respond',
      status: 429,
      headers: { 'retry-after': retryAfter },
      body: JSON.stringify({
        error: 'rate_limited',
        error_description: 'Too many requests; retry later',
      }),
    }
  },

  /** A JSON server error. */
  serverError(status = 500): EmulatorFault {
    return {
      type: 'respond',
      status,
      body: JSON.stringify({
        error: 'server_error',
        error_description: 'The server encountered an unexpected condition',
      }),
    }
  },

  /**
   * A 200 whose body starts (with `partialBody`) and never ends: only the
   * client's deadline gets it out. Nothing is processed.
   *
   * @example
   * emulator.injectFault(faults.stall())
   */
  stall(partialBody?: string): EmulatorFault {
    return partialBody === undefined ? { type: 'stall' } : { type: 'stall', body: partialBody }
  },

  /**
   * The real answer (the grant is performed), with fields of its JSON body
   * deleted (`omit`) and then set (`set`).
   *
   * @example
   * emulator.injectFault(faults.transform({ set: { scope: 'openid' } }))
   * emulator.injectFault(faults.transform({ omit: ['expires_in'] }))
   */
  transform(change: { set?: Record<string, unknown>; omit?: string[] }): EmulatorFault {
    return parseFault({ type: 'transform', ...change })
  },
} as const

/**
 * Checks that `value` is an {@link EmulatorFault} (it may come from JSON over
 * the control API) and returns a clean copy.
 *
 * @throws {TypeError} naming the offending field.
 */
export function parseFault(value: unknown): EmulatorFault {
  if (!isRecord(value)) throw new TypeError('fault must be an object')
  switch (value.type) {
    case 'respond': {
      const { status, body, headers } = value
      const parsedStatus = parseStatus(status)
      if (typeof body !== 'string') throw new TypeError('fault.body must be a string')
      const parsedHeaders = parseHeaders(headers)
      return {
        type: 'respond',
        status: parsedStatus,
        body,
        ...(parsedHeaders === undefined ? {} : { headers: parsedHeaders }),
      }
    }
    case 'delay': {
      const { ms } = value
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new TypeError('fault.ms must be a non-negative number')
      }
      return { type: 'delay', ms }
    }
    case 'drop': {
      const { when } = value
      if (when !== 'before' && when !== 'after') {
        throw new TypeError("fault.when must be 'before' or 'after'")
      }
      return { type: 'drop', when }
    }
    case 'stall': {
      const { status, body, headers } = value
      if (body !== undefined && typeof body !== 'string') {
        throw new TypeError('fault.body must be a string')
      }
      const parsedHeaders = parseHeaders(headers)
      return {
        type: 'stall',
        ...(status === undefined ? {} : { status: parseStatus(status) }),
        ...(parsedHeaders === undefined ? {} : { headers: parsedHeaders }),
        ...(body === undefined ? {} : { body }),
      }
    }
    case 'transform': {
      const { set, omit } = value
      if (set === undefined && omit === undefined) {
        throw new TypeError('fault.set or fault.omit is required')
      }
      if (set !== undefined && !isRecord(set)) {
        throw new TypeError('fault.set must map field names to JSON values')
      }
      if (
        omit !== undefined &&
        !(Array.isArray(omit) && omit.every((f) => typeof f === 'string'))
      ) {
        throw new TypeError('fault.omit must be an array of field names')
      }
      return {
        type: 'transform',
        // A JSON copy: what is set is what a JSON body can carry, and later edits do not leak in.
        ...(set === undefined ? {} : { set: JSON.parse(JSON.stringify(set)) }),
        ...(omit === undefined ? {} : { omit: [...omit] }),
      }
    }
    default:
      // Kept word for word: clients match on it (it also accepts 'stall' and 'transform').
      throw new TypeError("fault.type must be 'respond', 'delay' or 'drop'")
  }
}

function parseStatus(status: unknown): number {
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) {
    throw new TypeError('fault.status must be an integer from 100 to 599')
  }
  return status as number
}

function parseHeaders(headers: unknown): Record<string, string> | undefined {
  if (headers === undefined) return undefined
  if (!isRecord(headers) || !Object.values(headers).every((v) => typeof v === 'string')) {
    throw new TypeError('fault.headers must map header names to strings')
  }
  return { ...(headers as Record<string, string>) }
}

/**
 * Checks {@link InjectFaultOptions} and fills in the defaults.
 *
 * @throws {TypeError} naming the offending option.
 */
export function resolveFaultOptions(options: InjectFaultOptions = {}): {
  times: number
  route: FaultRoute
} {
  const { times = 1, route = 'token' } = options
  if (!Number.isInteger(times) || times < 1) {
    throw new TypeError('times must be a positive integer')
  }
  if (!FAULT_ROUTES.includes(route)) {
    throw new TypeError("route must be 'token', 'account', 'discovery' or 'jwks'")
  }
  return { times, route }
}

const FAULT_ROUTES: readonly FaultRoute[] = ['token', 'account', 'discovery', 'jwks']

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
