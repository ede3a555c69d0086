import { errorReply, jsonReply, type Reply } from './http.js'
import type { SigningKeyRing } from './signing-keys.js'

/**
 * The path of the OpenID Connect discovery document.
 * @group Emulator
 */
export const DISCOVERY_PATH = '/.well-known/openid-configuration'

/**
 * The path of the JWKS, as Bolt's discovery document names it (`jwks_uri`).
 * @group Emulator
 */
export const JWKS_PATH = '/v3/oauth/jwks.json'

/**
 * The emulator's OpenID Connect discovery document: the fields Bolt's oidc guide lists.
 * @group Emulator
 */
export interface DiscoveryDocument {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  jwks_uri: string
  response_types_supported: string[]
  grant_types_supported: string[]
  id_token_signing_alg_values_supported: string[]
}

/**
 * The discovery document for an emulator at `baseUrl`: `issuer` is the base URL, and the
 * endpoints are Bolt's v3 paths (`/v3/oauth/authorize`, `/v3/oauth/token`, `/v3/oauth/jwks.json`).
 * @group Emulator
 */
export function discoveryDocument(baseUrl: string): DiscoveryDocument {
  return {
    issuer: baseUrl,
    authorization_endpoint: `${baseUrl}/v3/oauth/authorize`,
    token_endpoint: `${baseUrl}/v3/oauth/token`,
    jwks_uri: `${baseUrl}${JWKS_PATH}`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    id_token_signing_alg_values_supported: ['RS256'],
  }
}

/** What the discovery and JWKS routes need. */
export interface DiscoveryContext {
  /** The emulator's base URL. */
  baseUrl: () => string
  signingKeys: SigningKeyRing
  /** Whether the JWKS answers (see `BoltEmulator.setJwksAvailable`). */
  jwksAvailable: () => boolean
}

/** `GET /.well-known/openid-configuration`. */
export function answerDiscovery(context: DiscoveryContext, method: string): Reply {
  if (method !== 'GET') return readOnly()
  return jsonReply(200, discoveryDocument(context.baseUrl()))
}

/** `GET /v3/oauth/jwks.json`: the current public key, or `503` while made unavailable. */
export function answerJwks(context: DiscoveryContext, method: string): Reply {
  if (method !== 'GET') return readOnly()
  if (!context.jwksAvailable()) {
    return errorReply(503, 'temporarily_unavailable', 'The JWKS is unavailable')
  }
  return jsonReply(200, context.signingKeys.jwks())
}

function readOnly(): Reply {
  return errorReply(405, 'invalid_request', 'Use GET', { allow: 'GET' })
}
