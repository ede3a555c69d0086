/**
 * Keeps a loopback-only server to requests from this machine, as this machine's own tools
 * send them. A page elsewhere can still make a browser send requests to loopback: by DNS
 * rebinding (its own name, now resolving to 127.0.0.1: the browser sends `Host: evil.example`)
 * or cross-site (a `text/plain` or form POST needs no preflight; the browser sends `Origin`).
 *
 * @module
 */

/**
 * How a route is guarded.
 * @group Emulator
 */
export type LocalRouteKind =
  /**
   * Test and demo controls (the emulator's `/__emulator/` routes, the playground's buttons):
   * a request that changes state must be `application/json` and, when it has an `Origin`, be
   * same-origin.
   */
  | 'control'
  /**
   * Bolt's own API, called server to server (the token endpoint takes form bodies, as Bolt's
   * docs say): a request that changes state may carry an `Origin` only if it is a loopback one.
   */
  | 'api'

/**
 * Why a request was refused: the status and the JSON body to answer with.
 * @group Emulator
 */
export interface LocalRequestRefusal {
  /** `421` for a `Host` that is not loopback, `403` for a foreign `Origin`, `415` for a non-JSON control request. */
  status: 421 | 403 | 415
  /** An OAuth-style error code, for the `error` field. */
  error: 'misdirected_request' | 'forbidden_origin' | 'unsupported_media_type'
  /** What was wrong, for the `error_description` field; it never repeats the headers sent. */
  description: string
}

/**
 * The headers the guard reads, as `node:http` gives them.
 * @group Emulator
 */
export interface LocalRequestHeaders {
  host?: string | undefined
  origin?: string | undefined
  'content-type'?: string | undefined
}

const IPV4_LOOPBACK = /^127\.(?:\d{1,3})\.(?:\d{1,3})\.(?:\d{1,3})$/
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i

function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase()
  if (name === 'localhost') return true
  if (name.startsWith('[')) {
    // The WHATWG parser writes every spelling of ::1 (0:0:0:0:0:0:0:1, …) as [::1].
    try {
      return new URL(`http://${name}/`).hostname === '[::1]'
    } catch {
      return false
    }
  }
  return IPV4_LOOPBACK.test(name) && name.split('.').every((octet) => Number(octet) <= 255)
}

/**
 * Whether a `Host` header names this machine: `localhost`, an address in 127.0.0.0/8 or
 * `[::1]`, with or without a port. A missing or malformed header is not loopback.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  const match = host === undefined ? null : HOST_HEADER.exec(host)
  return match?.[1] !== undefined && isLoopbackHostname(match[1])
}

/** Whether an `Origin` header is an `http:` origin on a loopback host (`null` is not). */
function isLoopbackOrigin(origin: string): boolean {
  const url = parseOrigin(origin)
  return url !== undefined && isLoopbackHost(url.host)
}

/** Whether an `Origin` header is `http://` plus the request's own `Host` (ports must match). */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  const url = parseOrigin(origin)
  if (url === undefined || host === undefined) return false
  try {
    return url.origin === new URL(`http://${host}`).origin
  } catch {
    return false
  }
}

function parseOrigin(origin: string): URL | undefined {
  try {
    const url = new URL(origin)
    return url.protocol === 'http:' && url.origin === origin.toLowerCase() ? url : undefined
  } catch {
    return undefined
  }
}

/** Whether a `Content-Type` header is `application/json` (parameters such as `charset` allowed). */
function isJsonContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/json'
}

/** Methods that only read; every other method changes state. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Checks a request to a loopback-only server: every request needs a loopback `Host`; one that
 * changes state (any method but GET, HEAD and OPTIONS) must also satisfy its route's kind
 * (see {@link LocalRouteKind}). Returns why to refuse it, or `undefined` to let it through.
 *
 * @example
 * const refusal = checkLocalRequest(req.method ?? 'GET', req.headers, 'control')
 * if (refusal) return answer(refusal.status, { error: refusal.error, error_description: refusal.description })
 * @group Emulator
 */
export function checkLocalRequest(
  method: string,
  headers: LocalRequestHeaders,
  kind: LocalRouteKind,
): LocalRequestRefusal | undefined {
  if (!isLoopbackHost(headers.host)) {
    return {
      status: 421,
      error: 'misdirected_request',
      description:
        'This server answers only requests addressed to localhost, 127.0.0.0/8 or [::1] (the Host header).',
    }
  }
  if (READ_METHODS.has(method.toUpperCase())) return undefined
  const { origin } = headers
  if (kind === 'api') {
    if (origin === undefined || isLoopbackOrigin(origin)) return undefined
    return {
      status: 403,
      error: 'forbidden_origin',
      description: 'Requests from a web page are accepted only from a loopback origin.',
    }
  }
  if (origin !== undefined && !isSameOrigin(origin, headers.host)) {
    return {
      status: 403,
      error: 'forbidden_origin',
      description: 'Requests from a web page are accepted only from this server’s own origin.',
    }
  }
  if (!isJsonContentType(headers['content-type'])) {
    return {
      status: 415,
      error: 'unsupported_media_type',
      description: 'Content-Type must be application/json.',
    }
  }
  return undefined
}
