import { beforeEach, describe, expect, it } from 'vitest'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import { expectOAuthError } from './emulator-test-kit.js'
import { exchangeCode, getAccount, postToken, T0, verifyIdToken } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({ now: T0 })
})

describe('authorization_code grant', () => {
  it('answers exactly the fields of Bolt docs, with an ID token for openid', async () => {
    const { code } = bolt.login({ email: 'ada@example.com' })
    expect(code).toMatch(/^code_[A-Za-z0-9_-]{43}$/)

    const answer = await exchangeCode(bolt, code)

    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(Object.keys(answer.json)).toEqual([
      'access_token',
      'expires_in',
      'id_token',
      'refresh_token',
      'refresh_token_scope',
      'scope',
      'token_type',
    ])
    expect(answer.json).toMatchObject({
      expires_in: 3600,
      refresh_token_scope: 'bolt.account.view',
      scope: 'bolt.account.manage openid',
      token_type: 'bearer',
    })
    expect(answer.json.access_token).toMatch(/^at_[A-Za-z0-9_-]{43}$/)
    expect(answer.json.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/)

    const idToken = await verifyIdToken(bolt, answer.json.id_token as string)
    expect(idToken.header).toEqual({ alg: 'RS256', typ: 'JWT' })
    const account = await getAccount(bolt, answer.json.access_token as string)
    expect((account.json.profile as Record<string, unknown>).email).toBe('ada@example.com')
    expect(idToken.claims).toEqual({
      email: 'ada@example.com',
      email_verified: true,
      first_name: 'Alan',
      last_name: 'Watts',
      phone_number: '+14155550199',
      phone_number_verified: true,
      iss: bolt.url,
      iat: expect.any(Number),
      exp: expect.any(Number),
    })
    const iat = idToken.claims.iat as number
    expect(Math.abs(iat - Math.floor(T0 / 1000))).toBeLessThanOrEqual(5)
    expect(idToken.claims.exp).toBe(iat + 3600)
  })

  it("carries the shopper's identity from login, with Bolt's claims only (no sub, no aud)", async () => {
    const login = (email: string, firstName: string) => bolt.login({ email, firstName }).code
    const first = await exchangeCode(bolt, login('ada@example.com', 'Ada'))
    const other = await exchangeCode(bolt, login('bob@example.com', 'Bob'))
    const claims = async (answer: typeof first) =>
      (await verifyIdToken(bolt, answer.json.id_token as string)).claims
    expect(await claims(first)).toMatchObject({ email: 'ada@example.com', first_name: 'Ada' })
    expect(await claims(other)).toMatchObject({ email: 'bob@example.com', first_name: 'Bob' })
    expect(await claims(first)).not.toHaveProperty('sub')
    expect(await claims(first)).not.toHaveProperty('aud')
    expect(bolt.shopper('ada@example.com')).toMatchObject({ firstName: 'Ada', lastName: 'Watts' })
  })

  it('omits id_token without openid and uses the configured TTL', async () => {
    bolt = await startEmulator({ now: T0, accessTokenTtlSeconds: 60 })
    const answer = await exchangeCode(bolt, bolt.login().code, { scope: 'bolt.account.manage' })
    expect(answer.status).toBe(200)
    expect(answer.json).not.toHaveProperty('id_token')
    expect(answer.json.scope).toBe('bolt.account.manage')
    expect(answer.json.expires_in).toBe(60)
  })

  it("accepts Bolt guide's literal '+' between scopes (scope=bolt.account.manage%2Bopenid)", async () => {
    const answer = await exchangeCode(bolt, bolt.login().code, {
      scope: 'bolt.account.manage+openid',
    })
    expect(answer.status).toBe(200)
    expect(answer.json.scope).toBe('bolt.account.manage openid')
    expect(answer.json).toHaveProperty('id_token')
  })

  it('rejects a reused code and revokes the tokens it produced (RFC 6749 §4.1.2)', async () => {
    const { code } = bolt.login()
    const first = await exchangeCode(bolt, code)
    const accessToken = first.json.access_token as string
    expect((await getAccount(bolt, accessToken)).status).toBe(200)

    const replay = await exchangeCode(bolt, code)

    expectOAuthError(
      replay,
      422,
      'invalid_grant',
      'The authorization code was already used; the tokens issued for it are revoked',
    )
    const account = await getAccount(bolt, accessToken)
    expect(account.status).toBe(401)
    expect(account.json.errors).toEqual([
      { code: 401, message: 'The access token is invalid, expired or revoked' },
    ])
    const refreshed = await postToken(bolt, {
      grant_type: 'refresh_token',
      refresh_token: first.json.refresh_token as string,
      scope: 'bolt.account.view',
    })
    expect(refreshed.status).toBe(422)
    expect(refreshed.json.error).toBe('invalid_grant')
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, invalidGrants: 2 })
  })

  it('rejects an unknown code', async () => {
    const answer = await exchangeCode(bolt, 'code_not_issued')
    expectOAuthError(answer, 422, 'invalid_grant', 'The authorization code is invalid')
  })

  it("rejects a code once Bolt's 5 minutes have passed on the emulator clock", async () => {
    const { code } = bolt.login()
    bolt.advanceClock(300_000)
    const answer = await exchangeCode(bolt, code)
    expectOAuthError(answer, 422, 'invalid_grant', 'The authorization code has expired')
    expect(bolt.stats.invalidGrants).toBe(1)
  })

  it('accepts a code just before it expires', async () => {
    const { code } = bolt.login()
    bolt.advanceClock(290_000)
    expect((await exchangeCode(bolt, code)).status).toBe(200)
  })

  it('requires the state the code was issued with, and keeps the code usable meanwhile', async () => {
    const { code, state } = bolt.login({ state: 'xyzABC123' })
    expect(state).toBe('xyzABC123')

    const missing = await exchangeCode(bolt, code)
    expect(missing.status).toBe(400)
    expect(missing.json.error).toBe('invalid_request')
    const wrong = await exchangeCode(bolt, code, { state: 'forged' })
    expectOAuthError(
      wrong,
      400,
      'invalid_request',
      'state does not match the state the authorization code was issued with',
    )

    const right = await exchangeCode(bolt, code, { state: 'xyzABC123' })
    expect(right.status).toBe(200)
  })

  it('ignores a state when the login had none', async () => {
    const login = bolt.login()
    expect(login).not.toHaveProperty('state')
    expect((await exchangeCode(bolt, login.code, { state: 'anything' })).status).toBe(200)
  })

  it('grants only scopes the shopper authorized', async () => {
    const { code } = bolt.login({ scope: 'bolt.account.view openid' })
    const tooMuch = await exchangeCode(bolt, code, { scope: 'bolt.account.manage openid' })
    expectOAuthError(
      tooMuch,
      400,
      'invalid_scope',
      'The shopper did not authorize bolt.account.manage',
    )
    const subset = await exchangeCode(bolt, code, { scope: 'bolt.account.view' })
    expect(subset.status).toBe(200)
    expect(subset.json.scope).toBe('bolt.account.view')
  })

  it('requires a code', async () => {
    const answer = await postToken(bolt, {
      grant_type: 'authorization_code',
      scope: 'bolt.account.manage openid',
    })
    expectOAuthError(answer, 400, 'invalid_request', 'code is required')
  })
})
