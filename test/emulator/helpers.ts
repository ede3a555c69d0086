import { createHmac } from 'node:crypto'
import type { BoltEmulator } from '../../src/emulator/index.js'

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

/** `GET /v1/account` with a Bearer token. */
export async function getAccount(bolt: BoltEmulator, accessToken?: string): Promise<Answer> {
  const headers: Record<string, string> =
    accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }
  return toAnswer(await fetch(`${bolt.url}/v1/account`, { headers }))
}

/** `POST /v1/account/addresses` with a Bearer token. */
export async function addAddress(
  bolt: BoltEmulator,
  accessToken: string,
  address: Record<string, unknown> = {
    street_address1: '535 Mission St',
    locality: 'San Francisco',
    postal_code: '94105',
    country_code: 'US',
  },
): Promise<Answer> {
  const response = await fetch(`${bolt.url}/v1/account/addresses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(address),
  })
  return toAnswer(response)
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

/** Decodes a JWT and checks its HS256 signature with `secret`. */
export function decodeJwt(token: string, secret: string) {
  const [header, payload, signature] = token.split('.')
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new Error('not a compact JWT')
  }
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return {
    parts: token.split('.').length,
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
    signatureValid: expected === signature,
  }
}
