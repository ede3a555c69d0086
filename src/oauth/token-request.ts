/**
 * Builds Bolt's token requests exactly as Bolt's docs show them: a form-encoded
 * `POST {baseUrl}/v1/oauth/token` (or the `tokenPath` option's path) with `X-API-Key`, and the client credentials in the body.
 *
 * @module
 */
import type { Secret } from '../secret.js'

/** The credentials and address every token request carries. */
export interface ClientCredentials {
  /** Bolt base URL, e.g. `https://api.bolt.com`. */
  baseUrl: string
  /** The merchant's publishable key (`client_id`). */
  clientId: string
  /** The merchant's API key (`client_secret` and the `X-API-Key` header). */
  clientSecret: Secret
  /** The token endpoint's path under `baseUrl`. @default {@link DEFAULT_TOKEN_PATH} */
  tokenPath?: string
}

/** The token endpoint's path in Bolt's token endpoint guide and v1 API. */
export const DEFAULT_TOKEN_PATH = '/v1/oauth/token'

/** One of the two grants the library uses. */
export type TokenGrant =
  | { grantType: 'authorization_code'; code: Secret; scope: string; state?: string }
  | { grantType: 'refresh_token'; refreshToken: Secret; scope: string }

/** A token request ready for a transport (minus the abort signal). */
export interface TokenRequestParts {
  url: string
  headers: Record<string, string>
  body: string
}

/** The token endpoint's URL for a base URL (a trailing slash is tolerated). */
export function tokenEndpointUrl(baseUrl: string, tokenPath = DEFAULT_TOKEN_PATH): string {
  return `${baseUrl.replace(/\/+$/, '')}${tokenPath}`
}

/** Builds the form request for `grant`. */
export function buildTokenRequest(
  credentials: ClientCredentials,
  grant: TokenGrant,
): TokenRequestParts {
  const form = new URLSearchParams({
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret.reveal(),
    grant_type: grant.grantType,
    scope: grant.scope,
  })
  if (grant.grantType === 'authorization_code') {
    form.set('code', grant.code.reveal())
    if (grant.state !== undefined) form.set('state', grant.state)
  } else {
    form.set('refresh_token', grant.refreshToken.reveal())
  }
  return {
    url: tokenEndpointUrl(credentials.baseUrl, credentials.tokenPath),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'x-api-key': credentials.clientSecret.reveal(),
      'x-publishable-key': credentials.clientId,
    },
    body: form.toString(),
  }
}

/** The secret values a grant sends: what must never appear in anything we output. */
export function grantSecrets(credentials: ClientCredentials, grant: TokenGrant): string[] {
  const secrets = [credentials.clientSecret.reveal()]
  secrets.push(
    (grant.grantType === 'authorization_code' ? grant.code : grant.refreshToken).reveal(),
  )
  if (grant.grantType === 'authorization_code' && grant.state !== undefined)
    secrets.push(grant.state)
  return secrets
}
