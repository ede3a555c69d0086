import { beforeEach, describe, expect, it } from 'vitest'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import { exchangeCode, postToken, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({
    now: T0,
    clientId: 'pk_test_merchant',
    clientSecret: 'sk_test_very_secret',
  })
})

const FORM_ONLY = {
  error: 'invalid_request',
  error_description: 'Content-Type must be application/x-www-form-urlencoded',
}

describe('token endpoint request checks', () => {
  it('accepts only application/x-www-form-urlencoded', async () => {
    const { code } = bolt.login()
    const body = {
      client_id: bolt.clientId,
      client_secret: bolt.clientSecret,
      grant_type: 'authorization_code',
      code,
      scope: 'bolt.account.manage openid',
    }
    const asJson = await fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': bolt.clientSecret },
      body: JSON.stringify(body),
    })
    expect(asJson.status).toBe(400)
    expect(asJson.headers.get('content-type')).toBe('application/json')
    expect(await asJson.json()).toEqual(FORM_ONLY)

    const noType = await fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'x-api-key': bolt.clientSecret },
      body: new Blob([new URLSearchParams(body).toString()]),
    })
    expect(noType.status).toBe(400)
    expect(await noType.json()).toEqual(FORM_ONLY)

    const asForm = await exchangeCode(bolt, code)
    expect(asForm.status).toBe(200)
  })

  it('accepts a charset suffix on the content type', async () => {
    const answer = await postToken(
      bolt,
      { grant_type: 'authorization_code', code: bolt.login().code, scope: 'openid' },
      { 'content-type': 'Application/X-WWW-Form-URLEncoded; charset=UTF-8' },
    )
    expect(answer.status).toBe(200)
  })

  it('answers 405 to other methods', async () => {
    const response = await fetch(`${bolt.url}/v1/oauth/token`)
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect((await response.json()).error).toBe('invalid_request')
  })

  it.each([
    ['a wrong X-API-Key', {}, { 'x-api-key': 'sk_guess_one' }],
    ['a missing X-API-Key', {}, { 'x-api-key': '' }],
    ['a wrong client_secret', { client_secret: 'sk_guess_two' }, {}],
    ['a wrong client_id', { client_id: 'pk_guess_three' }, {}],
    ['a wrong X-Publishable-Key', {}, { 'x-publishable-key': 'pk_guess_four' }],
  ])('answers 403 request_forbidden to %s, echoing nothing', async (_, fields, headers) => {
    const { code } = bolt.login()
    const answer = await postToken(
      bolt,
      { grant_type: 'authorization_code', code, scope: 'openid', ...fields },
      headers,
    )
    expect(answer.status).toBe(403)
    expect(answer.json.error).toBe('request_forbidden')
    expect(answer.json.error_description).toMatch(
      /^The request is forbidden: client authentication failed: /,
    )
    expect(Object.keys(answer.json)).toEqual(['error', 'error_description'])
    for (const secret of ['sk_test_very_secret', 'sk_guess', 'pk_guess', 'pk_test', code]) {
      expect(answer.text).not.toContain(secret)
    }
    expect(bolt.stats.invalidClients).toBe(1)
    expect((await exchangeCode(bolt, code, { scope: 'openid' })).status).toBe(200)
  })

  it('accepts the right X-Publishable-Key', async () => {
    const answer = await postToken(
      bolt,
      { grant_type: 'authorization_code', code: bolt.login().code, scope: 'openid' },
      { 'x-publishable-key': bolt.clientId },
    )
    expect(answer.status).toBe(200)
  })

  it('rejects an unknown scope and a missing scope', async () => {
    const { code } = bolt.login()
    const unknown = await exchangeCode(bolt, code, { scope: 'bolt.account.manage admin' })
    expect(unknown.status).toBe(400)
    expect(unknown.json).toEqual({
      error: 'invalid_scope',
      error_description: 'scope may only contain bolt.account.manage, bolt.account.view and openid',
    })
    const missing = await postToken(bolt, { grant_type: 'authorization_code', code })
    expect(missing.status).toBe(400)
    expect(missing.json).toEqual({
      error: 'invalid_request',
      error_description: 'scope is required',
    })
  })

  it('rejects an unknown or missing grant_type', async () => {
    const unknown = await postToken(bolt, { grant_type: 'password', scope: 'openid' })
    expect(unknown.status).toBe(403)
    expect(unknown.json).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'grant_type must be authorization_code or refresh_token',
    })
    const missing = await postToken(bolt, { scope: 'openid' })
    expect(missing.status).toBe(400)
    expect(missing.json).toEqual({
      error: 'invalid_request',
      error_description: 'grant_type is required',
    })
  })

  it.each([
    [
      'space-separated (bolt.account.manage+openid in the form body)',
      'scope=bolt.account.manage+openid',
    ],
    ["a literal '+' (bolt.account.manage%2Bopenid)", 'scope=bolt.account.manage%2Bopenid'],
    ['the parameter repeated', 'scope=bolt.account.manage&scope=openid'],
    [
      "a JSON array, as Bolt's v3 SDK sends it",
      `scope=${encodeURIComponent('["bolt.account.manage","openid"]')}`,
    ],
  ])('accepts the scope %s', async (_, scopeParams) => {
    const { code } = bolt.login()
    const response = await fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-api-key': bolt.clientSecret,
      },
      body: `client_id=${bolt.clientId}&client_secret=${bolt.clientSecret}&grant_type=authorization_code&code=${code}&${scopeParams}`,
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(body.scope).toBe('bolt.account.manage openid')
    expect(body).toHaveProperty('id_token')
  })

  it('refuses a scope array that is not JSON (400 invalid_scope)', async () => {
    const answer = await exchangeCode(bolt, bolt.login().code, { scope: '["openid",' })
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({
      error: 'invalid_scope',
      error_description: 'scope is not a JSON array of scope names',
    })
  })

  it('serves the same grants on /v3/oauth/token (the discovery document names it)', async () => {
    const { code } = bolt.login()
    const form = new URLSearchParams({
      client_id: bolt.clientId,
      client_secret: bolt.clientSecret,
      grant_type: 'authorization_code',
      code,
      scope: 'bolt.account.manage openid',
    })
    const response = await fetch(`${bolt.url}/v3/oauth/token`, {
      method: 'POST',
      headers: { 'x-api-key': bolt.clientSecret },
      body: form,
    })
    expect(response.status).toBe(200)
    expect(bolt.requests.map((request) => request.path)).toEqual(['/v3/oauth/token'])
    expect(bolt.stats).toMatchObject({ tokenRequests: 1, codeExchanges: 1 })
  })

  it('rejects a repeated parameter (RFC 6749 §3.2)', async () => {
    const { code } = bolt.login()
    const response = await fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-api-key': bolt.clientSecret,
      },
      body: `client_id=${bolt.clientId}&client_secret=${bolt.clientSecret}&grant_type=authorization_code&code=${code}&code=${code}&scope=openid`,
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'code must not be repeated',
    })
  })

  it('answers 404 JSON to unknown routes', async () => {
    const response = await fetch(`${bolt.url}/v2/nothing?x=1`)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({
      error: 'not_found',
      error_description: 'No route for GET /v2/nothing',
    })
  })

  it('answers 413 to an oversized body', async () => {
    const answer = await postToken(bolt, {
      grant_type: 'refresh_token',
      padding: 'x'.repeat(2 ** 20),
    })
    expect(answer.status).toBe(413)
    expect(answer.json.error).toBe('invalid_request')
  })
})
