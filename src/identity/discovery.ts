/**
 * Bolt's OpenID Connect discovery document: where the signing keys (JWKS) are, and the issuer
 * they sign for. Fetched with the runtime's `fetch`, under a deadline, without following
 * redirects.
 *
 * @module
 */
import { ResponseTooLargeError, readBodyCapped } from '../../adapters/http/body.js'
import { BoltTokenError } from '../errors.js'
import { normalizeIssuer } from './claims.js'
import { keysBadAnswer, keysTimeout, keysUnreachable } from './identity-errors.js'

/** The parts of the discovery document the library uses. */
export interface Discovery {
  /** The issuer, as the document states it (equal to `baseUrl`, a trailing `/` aside). */
  issuer: string
  /** Where Bolt publishes its signing keys. */
  jwksUri: URL
}

/** The path of the discovery document under the issuer (OpenID Connect Discovery §4). */
export const DISCOVERY_PATH = '/.well-known/openid-configuration'

const WHAT = "Bolt's OpenID discovery document"

/** A discovery document larger than this is refused: Bolt's is under 2 KiB. */
const MAX_DISCOVERY_BYTES = 64 * 1024

/**
 * Fetches and checks `{baseUrl}/.well-known/openid-configuration`. Its `issuer` must be
 * `baseUrl` (OpenID Connect Discovery §4.3), and its `jwks_uri` an absolute `https` URL (or
 * `http` when `baseUrl` itself is, as an emulator's is).
 *
 * @throws {BoltTokenError} `NETWORK_ERROR`, `TIMEOUT`, `SERVER_ERROR` (5xx) or
 *   `INVALID_RESPONSE`.
 */
export async function fetchDiscovery(baseUrl: string, timeoutMs: number): Promise<Discovery> {
  const issuer = normalizeIssuer(baseUrl)
  const url = `${issuer}${DISCOVERY_PATH}`
  const signal = AbortSignal.timeout(timeoutMs)
  let body: string
  try {
    const response = await globalThis.fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal,
    })
    if (response.status !== 200) {
      await response.body?.cancel()
      throw keysBadAnswer(WHAT, `answered with status ${response.status}`, response.status)
    }
    body = await readBodyCapped(response, MAX_DISCOVERY_BYTES)
  } catch (error) {
    if (error instanceof BoltTokenError) throw error
    if (error instanceof ResponseTooLargeError) {
      throw keysBadAnswer(WHAT, `is larger than ${MAX_DISCOVERY_BYTES} bytes`)
    }
    throw signal.aborted ? keysTimeout(WHAT, timeoutMs, error) : keysUnreachable(WHAT, error)
  }
  return parseDiscovery(body, issuer)
}

function parseDiscovery(body: string, issuer: string): Discovery {
  let document: unknown
  try {
    document = JSON.parse(body)
  } catch {
    throw keysBadAnswer(WHAT, 'is not JSON')
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw keysBadAnswer(WHAT, 'is not a JSON object')
  }
  const { issuer: stated, jwks_uri: jwksUri } = document as Record<string, unknown>
  if (typeof stated !== 'string' || normalizeIssuer(stated) !== issuer) {
    throw keysBadAnswer(WHAT, `names an issuer other than ${issuer} (check baseUrl)`)
  }
  let parsed: URL
  try {
    parsed = new URL(typeof jwksUri === 'string' ? jwksUri : '')
  } catch {
    throw keysBadAnswer(WHAT, 'has no absolute `jwks_uri`')
  }
  const allowed = issuer.startsWith('http:') ? ['https:', 'http:'] : ['https:']
  if (!allowed.includes(parsed.protocol) || parsed.username !== '' || parsed.password !== '') {
    throw keysBadAnswer(WHAT, 'names a `jwks_uri` that is not https')
  }
  return { issuer: stated, jwksUri: parsed }
}
