/**
 * Validates Bolt's token responses before anything is stored, and turns error answers
 * into {@link BoltTokenError}s that say what to do. Nothing here ever echoes a token,
 * a code or a secret: server text is redacted of every secret the request carried, in every
 * encoding it may be echoed in, and of anything else that looks like a token.
 *
 * @module
 */
import type { HttpResponse } from '../contracts.js'
import { BoltTokenError, type ErrorCode } from '../errors.js'
import { parseScopes, SCOPE_MANAGE, type TokenSet } from '../machine/token-set.js'
import { Secret } from '../secret.js'
import { quoteServerText } from './redact.js'
import type { TokenGrant } from './token-request.js'

/**
 * The longest access-token lifetime we believe, in seconds (24 hours). Bolt issues one-hour
 * tokens; a larger `expires_in` is clamped so that a buggy answer cannot keep a token
 * "valid" for years.
 */
export const MAX_EXPIRES_IN_SECONDS = 86_400

/** What validation needs to know besides the answer itself. */
export interface ResponseContext {
  grant: TokenGrant
  /** The session's current tokens, for fields a refresh answer may leave out. */
  previous: TokenSet | null
  /** When the request was sent (epoch ms): `expires_in` counts from here. */
  sentAt: number
  /** Secrets the request carried; redacted from every message. */
  secrets: readonly string[]
  /** Where the request was posted (no secret is in it), for answers that mean a wrong address. */
  url: string
}

function describeGrant(grant: TokenGrant): string {
  return grant.grantType === 'authorization_code' ? 'code exchange' : 'refresh'
}

function invalidResponse(
  context: ResponseContext,
  status: number,
  problem: string,
): BoltTokenError {
  return new BoltTokenError(
    'INVALID_RESPONSE',
    `Bolt answered the ${describeGrant(context.grant)} with status ${status} but ${problem}. ` +
      'Nothing was stored and the previous refresh token was kept; retry later.',
    { status },
  )
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>
    }
  } catch {
    // not JSON: the caller reports what it expected
  }
  return undefined
}

/**
 * Validates a 2xx token answer and builds the token set to store.
 *
 * @throws {BoltTokenError} `INVALID_RESPONSE` when any field is missing or of the wrong kind.
 */
export function parseTokenResponse(response: HttpResponse, context: ResponseContext): TokenSet {
  const { status } = response
  const json = parseJsonObject(response.body)
  if (json === undefined) return fail('its body is not a JSON object')

  const accessToken = json.access_token
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    return fail('`access_token` is missing or not a string')
  }
  const tokenType = json.token_type
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    return fail('`token_type` is not "bearer"')
  }
  const expiresIn = json.expires_in
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    return fail('`expires_in` is not a positive number')
  }

  const { grant, previous } = context
  // `null` is how many servers write an absent field: read as absent, as `scope` is below.
  const rawRefreshToken = json.refresh_token ?? undefined
  let refreshToken: Secret
  if (rawRefreshToken === undefined && grant.grantType === 'refresh_token') {
    // RFC 6749 §6: a server that does not rotate leaves the old refresh token valid.
    refreshToken = grant.refreshToken
  } else if (typeof rawRefreshToken === 'string' && rawRefreshToken.length > 0) {
    refreshToken = new Secret(rawRefreshToken)
  } else {
    return fail('`refresh_token` is missing or not a string')
  }
  const rawIdToken = json.id_token ?? undefined
  if (rawIdToken !== undefined && typeof rawIdToken !== 'string') {
    return fail('`id_token` is not a string')
  }
  // A refresh carries no ID token: the login's stays, with when it was received.
  const kept = grant.grantType === 'refresh_token' ? previous : null
  const idToken = rawIdToken !== undefined ? new Secret(rawIdToken) : kept?.idToken
  const idTokenReceivedAt = rawIdToken !== undefined ? context.sentAt : kept?.idTokenReceivedAt
  const scope = json.scope ?? grant.scope
  if (typeof scope !== 'string') return fail('`scope` is not a string')

  let scopes = parseScopes(scope)
  // A refresh asks only for view; a server cannot grant more than was asked (RFC 6749 §6).
  if (grant.grantType === 'refresh_token') scopes = scopes.filter((s) => s !== SCOPE_MANAGE)

  const lifetimeSeconds = Math.min(expiresIn, MAX_EXPIRES_IN_SECONDS)
  return {
    accessToken: new Secret(accessToken),
    refreshToken,
    ...(idToken === undefined ? {} : { idToken }),
    ...(idToken === undefined || idTokenReceivedAt === undefined ? {} : { idTokenReceivedAt }),
    scopes,
    expiresAt: context.sentAt + lifetimeSeconds * 1000,
    obtainedAt: context.sentAt,
  }

  function fail(problem: string): never {
    throw invalidResponse(context, status, problem)
  }
}

const oauthErrorCodes: Record<string, ErrorCode> = {
  invalid_grant: 'INVALID_GRANT',
  invalid_client: 'INVALID_CLIENT',
  unauthorized_client: 'INVALID_CLIENT',
  invalid_request: 'INVALID_REQUEST',
  invalid_scope: 'INVALID_REQUEST',
  unsupported_grant_type: 'INVALID_REQUEST',
  // Bolt's 403 for a merchant it will not serve ("you are not allowed to perform this action").
  request_forbidden: 'INVALID_CLIENT',
  server_error: 'SERVER_ERROR',
  temporarily_unavailable: 'SERVER_ERROR',
}

/** Every HTTP-date form (IMF-fixdate, RFC 850, asctime) names its month. */
const HTTP_DATE_MONTH = /\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/

/**
 * Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`; `undefined`
 * for anything else. `Date.parse` alone is too lenient: it reads `1.5` or `-1` as dates in
 * 2001, which turned a malformed header into "retry now" (`retryAfterMs: 0`).
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  if (!HTTP_DATE_MONTH.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function advice(code: ErrorCode, grant: TokenGrant, status: number, url: string): string {
  if (status === 404) {
    // Origin and path only: a base URL's user info or query must not reach a message.
    const { origin, pathname } = new URL(url)
    return `Nothing answers at ${origin}${pathname}: check baseUrl (Bolt's API root, e.g. https://api.bolt.com, without /v1) and tokenPath.`
  }
  switch (code) {
    case 'INVALID_GRANT':
      return grant.grantType === 'authorization_code'
        ? 'Authorization codes are single-use and short-lived: ask the shopper to log in again.'
        : 'The session has ended (the refresh token was used, expired or revoked): show the login modal.'
    case 'INVALID_CLIENT':
      return 'Bolt refused this merchant: check clientId (the publishable key) and clientSecret (the API key), that baseUrl is the environment they belong to (production or sandbox), and that the key is enabled for Bolt OAuth in the Merchant Dashboard.'
    case 'INVALID_REQUEST':
      return grant.grantType === 'authorization_code' && grant.state !== undefined
        ? 'The request was refused as malformed: check the scope asked for, and that `state` is the one the login modal returned with this code, unchanged.'
        : 'The request was refused as malformed; check the scope asked for. If it persists, report it as a bug.'
    case 'RATE_LIMITED':
      return 'Retry after the delay Bolt asked for.'
    default:
      return grant.grantType === 'authorization_code'
        ? 'Bolt may be having trouble; nothing was stored. Ask the shopper to log in again (the code may have been used).'
        : 'Bolt may be having trouble; retry later. The previous refresh token was kept.'
  }
}

/**
 * Turns a non-2xx token answer into the error to throw: OAuth `{error, error_description}`
 * bodies, Bolt's `{".tag", message}` bodies, and bare statuses (HTML error pages) alike.
 */
export function errorFromResponse(
  response: HttpResponse,
  context: ResponseContext,
  now: number,
): BoltTokenError {
  const { status } = response
  const json = parseJsonObject(response.body)
  const rawError = json?.error ?? json?.['.tag']
  const oauthError =
    typeof rawError === 'string' ? quoteServerText(rawError, context.secrets, 60) : undefined
  const rawDescription = json?.error_description ?? json?.message
  const description =
    typeof rawDescription === 'string'
      ? quoteServerText(rawDescription, context.secrets)
      : undefined

  // Bolt's own 422 example spells its error `invalid _grant`: the words may vary, so the
  // status decides, and error strings are compared without spaces.
  const knownCode =
    oauthError === undefined ? undefined : oauthErrorCodes[oauthError.replace(/\s+/g, '')]
  let code: ErrorCode
  if (status === 429) code = 'RATE_LIMITED'
  else if (status === 422) code = 'INVALID_GRANT'
  else if (knownCode !== undefined) code = knownCode
  else if (status >= 500) code = 'SERVER_ERROR'
  else if (status === 401) code = 'INVALID_CLIENT'
  else if (status >= 300 && status < 400) {
    return new BoltTokenError(
      'INVALID_RESPONSE',
      `Bolt answered the ${describeGrant(context.grant)} with a redirect (${status}); check baseUrl.`,
      { status },
    )
  } else code = status >= 400 ? 'INVALID_REQUEST' : 'INVALID_RESPONSE'

  const retryAfterMs =
    code === 'RATE_LIMITED' || status === 503
      ? parseRetryAfter(response.headers['retry-after'], now)
      : undefined
  const what = [`status ${status}`, ...(oauthError === undefined ? [] : [oauthError])].join(', ')
  const said = description === undefined ? '' : `: "${description}"`
  const contentType = response.headers['content-type']
  const shape =
    json === undefined && contentType !== undefined
      ? ` (a ${quoteServerText(contentType, context.secrets, 40)} body, not JSON)`
      : ''
  return new BoltTokenError(
    code,
    `Bolt's token endpoint answered the ${describeGrant(context.grant)} with ${what}${said}${shape}. ${advice(code, context.grant, status, context.url)}`,
    {
      status,
      ...(oauthError === undefined ? {} : { oauthError }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  )
}
