/**
 * The emulator against Bolt's published shapes: every kind of answer, driven over loopback,
 * validated against the JSON schemas in `./schemas` (written from BOLT-API.md and Bolt's v1
 * spec, closed where Bolt's shape is closed) and checked for its exact status.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { type BoltEmulator, faults, SAMPLE_ADDRESS } from '../../src/emulator/index.js'
import { startEmulatorForFile } from '../support/harness.js'

const SCHEMA_DIR = new URL('./schemas/', import.meta.url)
const SCHEMA_BASE = 'https://bolt-token-lifecycle.test/schemas/'

const ajv = new Ajv({ allErrors: true, strict: true })
for (const file of readdirSync(SCHEMA_DIR)) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')))
}

/** Asserts that `value` matches the schema in `schemas/<name>.json`, listing every violation. */
function expectSchema(name: string, value: unknown): void {
  const validate = ajv.getSchema(`${SCHEMA_BASE}${name}.json`)
  if (validate === undefined) throw new Error(`no schema ${name}`)
  validate(value)
  expect(validate.errors ?? [], `${name}: ${JSON.stringify(value)}`).toEqual([])
}

interface Answer {
  status: number
  text: string
  json: unknown
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text()
  return { status: response.status, text, json: text === '' ? undefined : JSON.parse(text) }
}

let bolt: BoltEmulator
beforeAll(async () => {
  bolt = await startEmulatorForFile()
})

function token(fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${bolt.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'x-api-key': bolt.clientSecret, ...headers },
    body: new URLSearchParams({
      client_id: bolt.clientId,
      client_secret: bolt.clientSecret,
      ...fields,
    }),
  }).then(answerOf)
}

function exchange(scope: string, fields: Record<string, string> = {}) {
  return token({ grant_type: 'authorization_code', code: bolt.login().code, scope, ...fields })
}

function account(
  method: string,
  path: string,
  accessToken: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${bolt.url}${path}`, {
    method,
    headers: {
      'x-api-key': bolt.clientSecret,
      ...(accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(answerOf)
}

/** A string field of a JSON answer; fails the test when it is not one. */
function fieldOf(answer: Answer, name: string): string {
  const value = (answer.json as Record<string, unknown>)[name]
  if (typeof value !== 'string') throw new Error(`${name} is not a string in ${answer.text}`)
  return value
}

describe('token endpoint', () => {
  it('200: a code exchange with openid carries an RS256 ID token with Bolt’s header and claims', async () => {
    const answer = await exchange('bolt.account.manage openid')
    expect(answer.status).toBe(200)
    expectSchema('token-response-with-id-token', answer.json)

    const idToken = fieldOf(answer, 'id_token')
    expectSchema('id-token-header', decodeProtectedHeader(idToken))
    expect(decodeProtectedHeader(idToken)).not.toHaveProperty('kid')
    const discovery = await answerOf(await fetch(`${bolt.url}/.well-known/openid-configuration`))
    const { payload } = await jwtVerify(
      idToken,
      createRemoteJWKSet(new URL(fieldOf(discovery, 'jwks_uri'))),
      {
        algorithms: ['RS256'],
        issuer: fieldOf(discovery, 'issuer'),
      },
    )
    expectSchema('id-token-claims', payload)
  })

  it('200: a code exchange without openid and every refresh answer carry no ID token', async () => {
    const withoutOpenid = await exchange('bolt.account.manage')
    expect(withoutOpenid.status).toBe(200)
    expectSchema('token-response', withoutOpenid.json)

    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: fieldOf(withoutOpenid, 'refresh_token'),
      scope: 'bolt.account.view',
    })
    expect(refreshed.status).toBe(200)
    expectSchema('token-response', refreshed.json)
  })

  it.each([
    [
      '400 invalid_request: no code',
      { grant_type: 'authorization_code', scope: 'openid' },
      400,
      'invalid_request',
    ],
    [
      '400 invalid_scope: an unknown scope',
      { grant_type: 'authorization_code', code: 'c', scope: 'admin' },
      400,
      'invalid_scope',
    ],
    [
      '403 request_forbidden: a wrong client_secret',
      { grant_type: 'authorization_code', code: 'c', scope: 'openid', client_secret: 'sk_wrong' },
      403,
      'request_forbidden',
    ],
    [
      '403 unsupported_grant_type: password',
      { grant_type: 'password', scope: 'openid' },
      403,
      'unsupported_grant_type',
    ],
    [
      '422 invalid_grant: an unknown code',
      { grant_type: 'authorization_code', code: 'code_unknown', scope: 'openid' },
      422,
      'invalid_grant',
    ],
    [
      '422 invalid_grant: an unknown refresh token',
      { grant_type: 'refresh_token', refresh_token: 'rt_unknown', scope: 'bolt.account.view' },
      422,
      'invalid_grant',
    ],
  ])('%s', async (_, fields, status, error) => {
    const answer = await token(fields)
    expect(answer.status).toBe(status)
    expectSchema('token-error', answer.json)
    expect(fieldOf(answer, 'error')).toBe(error)
  })

  it('422 invalid_grant: a used code, an expired code and a spent refresh token', async () => {
    const { code } = bolt.login()
    const first = await token({ grant_type: 'authorization_code', code, scope: 'openid' })
    const used = await token({ grant_type: 'authorization_code', code, scope: 'openid' })
    const stale = bolt.login().code
    bolt.advanceClock(300_000)
    const expired = await token({ grant_type: 'authorization_code', code: stale, scope: 'openid' })
    const fresh = await exchange('bolt.account.manage')
    const refreshToken = fieldOf(fresh, 'refresh_token')
    await token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: 'bolt.account.view',
    })
    const spent = await token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: 'bolt.account.view',
    })
    expect([first.status, used.status, expired.status, spent.status]).toEqual([200, 422, 422, 422])
    for (const answer of [used, expired, spent]) {
      expectSchema('token-error', answer.json)
      expect(fieldOf(answer, 'error')).toBe('invalid_grant')
    }
  })
})

describe('the schemas themselves', () => {
  it('are closed: a field Bolt does not send fails validation', async () => {
    bolt.injectFault(faults.transform({ set: { sub: 'acct_1' } }))
    const answer = await exchange('bolt.account.manage')
    const validate = ajv.getSchema(`${SCHEMA_BASE}token-response.json`)
    expect(validate?.(answer.json)).toBe(false)
    expect(validate?.errors?.[0]).toMatchObject({
      keyword: 'additionalProperties',
      params: { additionalProperty: 'sub' },
    })
  })
})

describe('discovery and JWKS', () => {
  it('200: the discovery document names the emulator as issuer and Bolt’s v3 endpoints', async () => {
    const answer = await answerOf(await fetch(`${bolt.url}/.well-known/openid-configuration`))
    expect(answer.status).toBe(200)
    expectSchema('discovery', answer.json)
    expect(answer.json).toMatchObject({
      issuer: bolt.url,
      authorization_endpoint: `${bolt.url}/v3/oauth/authorize`,
      token_endpoint: `${bolt.url}/v3/oauth/token`,
      jwks_uri: `${bolt.url}/v3/oauth/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
    })
  })

  it('200: the JWKS holds one RSA key with a kid', async () => {
    const answer = await answerOf(await fetch(`${bolt.url}/v3/oauth/jwks.json`))
    expect(answer.status).toBe(200)
    expectSchema('jwks', answer.json)
    expect(answer.json).toEqual(bolt.jwks())
  })
})

describe('Account API', () => {
  let manage: string
  let viewOnly: string
  beforeAll(async () => {
    const tokens = await exchange('bolt.account.manage openid')
    manage = fieldOf(tokens, 'access_token')
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: fieldOf(tokens, 'refresh_token'),
      scope: 'bolt.account.view',
    })
    viewOnly = fieldOf(refreshed, 'access_token')
  })

  it('200: every success answer in Bolt’s shape', async () => {
    const address = await account('POST', '/v1/account/addresses', manage, {
      ...SAMPLE_ADDRESS,
      default: true,
      metadata: { customer_id: '234' },
    })
    expect(address.status).toBe(200)
    expectSchema('address', address.json)
    const id = fieldOf(address, 'id')

    const edited = await account('PUT', `/v1/account/addresses/${id}`, manage, SAMPLE_ADDRESS)
    expect(edited.status).toBe(200)
    expectSchema('address', edited.json)
    const replaced = await account('POST', `/v1/account/addresses/${id}`, manage, SAMPLE_ADDRESS)
    expect(replaced.status).toBe(200)
    expectSchema('address', replaced.json)

    const card = await account('POST', '/v1/account/payment_methods', manage, {
      token: 'tok_contract',
      expiration: '2031-02',
      last4: '4242',
      network: 'visa',
      billing_address_id: fieldOf(replaced, 'id'),
    })
    expect(card.status).toBe(200)
    expectSchema('payment-method', card.json)

    const profile = await account('PATCH', '/v1/account/profile', manage, {
      first_name: 'Ada',
      metadata: { tier: 'gold' },
    })
    expect(profile.status).toBe(200)
    expectSchema('profile', profile.json)

    const details = await account('GET', '/v1/account', viewOnly)
    expect(details.status).toBe(200)
    expectSchema('account-details', details.json)
    expect((details.json as { addresses: unknown[] }).addresses).toHaveLength(1)

    const deletedCard = await account(
      'DELETE',
      `/v1/account/payment_methods/${fieldOf(card, 'id')}`,
      manage,
    )
    const deletedAddress = await account(
      'DELETE',
      `/v1/account/addresses/${fieldOf(replaced, 'id')}`,
      manage,
    )
    expect([
      deletedCard.status,
      deletedCard.text,
      deletedAddress.status,
      deletedAddress.text,
    ]).toEqual([200, '', 200, ''])

    const exists = await answerOf(
      await fetch(`${bolt.url}/v1/account/exists?email=shopper%40example.com`, {
        headers: { 'x-publishable-key': bolt.clientId },
      }),
    )
    expect(exists.status).toBe(200)
    expectSchema('account-exists', exists.json)
  })

  it.each([
    ['401: no access token', () => account('GET', '/v1/account', undefined), 401],
    ['401: an unknown access token', () => account('GET', '/v1/account', 'at_unknown'), 401],
    [
      '403: no X-API-Key',
      () => account('GET', '/v1/account', manage, undefined, { 'x-api-key': '' }),
      403,
    ],
    [
      '403: a view-only token on a write',
      () => account('POST', '/v1/account/addresses', viewOnly, SAMPLE_ADDRESS),
      403,
    ],
    [
      '404: an unknown address',
      () => account('DELETE', '/v1/account/addresses/addr_unknown', manage),
      404,
    ],
    [
      '404: an unknown payment method',
      () => account('DELETE', '/v1/account/payment_methods/pm_unknown', manage),
      404,
    ],
    [
      '400: a body that is not JSON',
      () =>
        account('PATCH', '/v1/account/profile', manage, undefined, {
          'content-type': 'application/json',
        }),
      400,
    ],
    [
      '422: an address without its required fields',
      () => account('POST', '/v1/account/addresses', manage, { locality: 'Paris' }),
      422,
    ],
    [
      '422: exists without a parameter',
      async () =>
        answerOf(
          await fetch(`${bolt.url}/v1/account/exists`, {
            headers: { 'x-publishable-key': bolt.clientId },
          }),
        ),
      422,
    ],
  ] as const)('%s, in Bolt’s error body', async (_, call, status) => {
    const answer = await call()
    expect(answer.status).toBe(status)
    expectSchema('account-error', answer.json)
  })
})
