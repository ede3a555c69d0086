import type { IncomingHttpHeaders } from 'node:http'
import { errorReply, type Reply } from './http.js'
import { parseScopes } from './scopes.js'
import { secureEqual } from './secure-compare.js'
import type { TokenAuthority } from './token-grants.js'
import type { EmulatorStats } from './types.js'

/** The path of Bolt's token endpoint. */
export const TOKEN_PATH = '/v1/oauth/token'

/** What the token endpoint needs from the emulator around it. */
export interface TokenEndpointContext {
  authority: TokenAuthority
  stats: EmulatorStats
  clientId: string
  clientSecret: string
}

/** A token request, read off the wire. */
export interface TokenRequest {
  method: string
  headers: IncomingHttpHeaders
  body: string
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }
// RFC 6749 §3.2: request parameters must not be repeated.
const SINGLE_VALUED = [
  'client_id',
  'client_secret',
  'grant_type',
  'scope',
  'state',
  'code',
  'refresh_token',
]

/**
 * Answers `POST /v1/oauth/token` the way Bolt does: form body only, client
 * authenticated by `X-API-Key` plus `client_id`/`client_secret`, then the
 * `authorization_code` or `refresh_token` grant.
 */
export function answerTokenRequest(context: TokenEndpointContext, request: TokenRequest): Reply {
  if (request.method !== 'POST') {
    return errorReply(405, 'invalid_request', 'The token endpoint only accepts POST', {
      allow: 'POST',
    })
  }
  if (!isFormContentType(request.headers['content-type'])) {
    return errorReply(
      400,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded',
      NO_STORE,
    )
  }
  const form = new URLSearchParams(request.body)
  const repeated = SINGLE_VALUED.find((name) => form.getAll(name).length > 1)
  if (repeated !== undefined) {
    return badRequest(`${repeated} must not be repeated`)
  }
  const failure = clientAuthenticationFailure(context, request.headers, form)
  if (failure !== undefined) {
    context.stats.invalidClients += 1
    return errorReply(401, 'invalid_client', `Client authentication failed: ${failure}`, NO_STORE)
  }

  const grantType = form.get('grant_type')
  if (grantType === null || grantType === '') return badRequest('grant_type is required')
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return errorReply(
      400,
      'unsupported_grant_type',
      'grant_type must be authorization_code or refresh_token',
      NO_STORE,
    )
  }
  const scopes = parseScopes(form.get('scope') ?? '')
  if (scopes === 'empty') return badRequest('scope is required')
  if (scopes === 'unknown') {
    return errorReply(
      400,
      'invalid_scope',
      'scope may only contain bolt.account.manage, bolt.account.view and openid',
      NO_STORE,
    )
  }

  if (grantType === 'authorization_code') {
    const code = form.get('code')
    if (code === null || code === '') return badRequest('code is required')
    return context.authority.exchangeCode({ code, state: form.get('state') ?? undefined, scopes })
  }
  const refreshToken = form.get('refresh_token')
  if (refreshToken === null || refreshToken === '') return badRequest('refresh_token is required')
  return context.authority.refresh({ refreshToken, scopes })
}

function isFormContentType(header: string | undefined): boolean {
  const mediaType = header?.split(';')[0]?.trim().toLowerCase()
  return mediaType === 'application/x-www-form-urlencoded'
}

/** Why the client failed to authenticate, without repeating anything it sent. */
function clientAuthenticationFailure(
  context: TokenEndpointContext,
  headers: IncomingHttpHeaders,
  form: URLSearchParams,
): string | undefined {
  const apiKey = headers['x-api-key']
  if (typeof apiKey !== 'string' || !secureEqual(apiKey, context.clientSecret)) {
    return 'the X-API-Key header is missing or is not the API key'
  }
  const publishableKey = headers['x-publishable-key']
  if (publishableKey !== undefined) {
    if (typeof publishableKey !== 'string' || !secureEqual(publishableKey, context.clientId)) {
      return 'the X-Publishable-Key header is not the publishable key'
    }
  }
  const clientId = form.get('client_id')
  if (clientId === null || !secureEqual(clientId, context.clientId)) {
    return 'client_id is missing or is not the publishable key'
  }
  const clientSecret = form.get('client_secret')
  if (clientSecret === null || !secureEqual(clientSecret, context.clientSecret)) {
    return 'client_secret is missing or is not the API key'
  }
  return undefined
}

function badRequest(description: string): Reply {
  return errorReply(400, 'invalid_request', description, NO_STORE)
}
