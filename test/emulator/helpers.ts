import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { type BoltEmulator, SAMPLE_ADDRESS } from '../../src/emulator/index.js'

/** A fixed start for the emulator clock, so expiry arithmetic is readable. */
export const T0 = Date.parse('2030-01-01T00:00:00Z')

/** An HTTP answer with its body parsed as JSON when it is JSON. */
export interface Answer {
  status: number
  headers: Headers
  text: string
  json: Record<string, unknown>
}

/** The token response fields, as the tests read them. */
export interface TokenBody {
  access_token: string
  expires_in: number
  id_token?: string
  refresh_token: string
  refresh_token_scope: string
  scope: string
  token_type: string
}

async function toAnswer(response: Response): Promise<Answer> {
  const text = await response.text()
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON: tests look at `text`
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** Posts a token request with valid client credentials, overridable field by field. */
export async function postToken(
  bolt: BoltEmulator,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = new URLSearchParams({
    client_id: bolt.clientId,
    client_secret: bolt.clientSecret,
    ...fields,
  })
  const response = await fetch(`${bolt.url}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-api-key': bolt.clientSecret,
      ...headers,
    },
    body: body.toString(),
  })
  return toAnswer(response)
}

/** Exchanges an authorization code (scope `bolt.account.manage openid` unless given). */
export function exchangeCode(
  bolt: BoltEmulator,
  code: string,
  extra: Record<string, string> = {},
): Promise<Answer> {
  return postToken(bolt, {
    grant_type: 'authorization_code',
    code,
    scope: 'bolt.account.manage openid',
    ...extra,
  })
}

/** Refreshes with scope `bolt.account.view` unless given. */
export function refresh(bolt: BoltEmulator, refreshToken: string, scope = 'bolt.account.view') {
  return postToken(bolt, { grant_type: 'refresh_token', refresh_token: refreshToken, scope })
}

/** Logs a shopper in and exchanges the code; fails the test if that does not succeed. */
export async function signIn(bolt: BoltEmulator, scope = 'bolt.account.manage openid') {
  const { code } = bolt.login()
  const answer = await exchangeCode(bolt, code, { scope })
  if (answer.status !== 200) throw new Error(`sign-in failed: ${answer.status} ${answer.text}`)
  return answer.json as unknown as TokenBody
}

/**
 * Calls the Account API as a merchant backend does: `Authorization: Bearer` (when a token is
 * given) and the emulator's `X-API-Key`, a JSON body when given; `headers` override.
 */
export async function callAccount(
  bolt: BoltEmulator,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'x-api-key': bolt.clientSecret }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${bolt.url}${path}`, {
    method,
    headers: { ...headers, ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  return toAnswer(response)
}

/** `GET /v1/account` with a Bearer token and the API key. */
export function getAccount(bolt: BoltEmulator, accessToken?: string): Promise<Answer> {
  return callAccount(
    bolt,
    'GET',
    '/v1/account',
    accessToken === undefined ? {} : { token: accessToken },
  )
}

/** `POST /v1/account/addresses` with a Bearer token and the API key. */
export function addAddress(
  bolt: BoltEmulator,
  accessToken: string,
  address: Record<string, unknown> = { ...SAMPLE_ADDRESS },
): Promise<Answer> {
  return callAccount(bolt, 'POST', '/v1/account/addresses', { token: accessToken, body: address })
}

/** Calls the control API. */
export async function control(
  bolt: BoltEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${bolt.url}/__emulator/${path}`, {
    method,
    // The control API takes only JSON requests, bodiless ones too: no cross-site form can send one.
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return toAnswer(response)
}

/** Verifies an ID token against the emulator's JWKS (RS256) and returns its header and claims. */
export async function verifyIdToken(bolt: BoltEmulator, token: string) {
  const { payload } = await jwtVerify(token, createLocalJWKSet(bolt.jwks()), {
    algorithms: ['RS256'],
  })
  return { header: decodeProtectedHeader(token), claims: payload as Record<string, unknown> }
}
