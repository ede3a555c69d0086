import type { IncomingHttpHeaders } from 'node:http'
import { errorReply, type Reply } from './http.js'
import { parseScopeParams } from './scopes.js'
import { secureEqual } from './secure-compare.js'
import type { TokenAuthority } from './token-grants.js'
import type { EmulatorStats } from './types.js'

/**
 * The paths of Bolt's token endpoint: `/v1` (the seeds, the v1 spec) and `/v3` (discovery).
 * @group Emulator
 */
export const TOKEN_PATHS: readonly string[] = ['/v1/oauth/token', '/v3/oauth/token']

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
// RFC 6749 §3.2: request parameters must not be repeated. `scope` is the exception: one of
// the forms Bolt's material shows is the parameter repeated.
const SINGLE_VALUED = ['client_id', 'client_secret', 'grant_type', 'state', 'code', 'refresh_token']

/**
 * Answers `POST /v1/oauth/token` (and `/v3/oauth/token`) with the statuses and bodies of
 * Bolt's v1 spec: form body only; client authenticated by `X-API-Key` plus
 * `client_id`/`client_secret` (`403 request_forbidden` otherwise); `403
 * unsupported_grant_type`; `400 invalid_request` / `invalid_scope`; then the
 * `authorization_code` or `refresh_token` grant (`422 invalid_grant` when refused).
 */
export async function answerTokenRequest(
  context: TokenEndpointContext,
  request: TokenRequest,
): Promise<Reply> {
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
    return errorReply(
      403,
      'request_forbidden',
      `The request is forbidden: client authentication failed: ${failure}`,
      NO_STORE,
    )
  }

  const grantType = form.get('grant_type')
  if (grantType === null || grantType === '') return badRequest('grant_type is required')
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return errorReply(
      403,
      'unsupported_grant_type',
      'grant_type must be authorization_code or refresh_token',
      NO_STORE,
    )
  }
  const scopes = parseScopeParams(form.getAll('scope'))
  if (scopes === 'empty') return badRequest('scope is required')
  if (scopes === 'malformed') {
    return errorReply(400, 'invalid_scope', 'scope is not a JSON array of scope names', NO_STORE)
  }
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
