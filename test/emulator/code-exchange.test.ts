import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type BoltEmulator, startBoltEmulator } from '../../src/emulator/index.js'
import { expectOAuthError } from './emulator-test-kit.js'
import { decodeJwt, exchangeCode, getAccount, postToken, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startBoltEmulator({ now: T0 })
})
afterEach(() => bolt.close())

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

    const idToken = decodeJwt(answer.json.id_token as string, bolt.clientSecret)
    expect(idToken.parts).toBe(3)
    expect(idToken.signatureValid).toBe(true)
    expect(idToken.header).toEqual({ alg: 'HS256', typ: 'JWT' })
    const account = await getAccount(bolt, answer.json.access_token as string)
    expect(account.json.email).toBe('ada@example.com')
    expect(idToken.claims).toEqual({
      iss: bolt.url,
      sub: expect.stringMatching(/^acct_[0-9a-f]{16}$/),
      aud: bolt.clientId,
      email: 'ada@example.com',
      iat: expect.any(Number),
      exp: expect.any(Number),
    })
    const iat = idToken.claims.iat as number
    expect(Math.abs(iat - Math.floor(T0 / 1000))).toBeLessThanOrEqual(5)
    expect(idToken.claims.exp).toBe(iat + 3600)
  })

  it('gives the same shopper the same account id across logins', async () => {
    const first = await exchangeCode(bolt, bolt.login().code)
    const second = await exchangeCode(bolt, bolt.login().code)
    const other = await exchangeCode(bolt, bolt.login({ email: 'bob@example.com' }).code)
    const sub = (answer: typeof first) =>
      decodeJwt(answer.json.id_token as string, bolt.clientSecret).claims.sub
    expect(sub(second)).toBe(sub(first))
    expect(sub(other)).not.toBe(sub(first))
  })

  it('omits id_token without openid and uses the configured TTL', async () => {
    await bolt.close()
    bolt = await startBoltEmulator({ now: T0, accessTokenTtlSeconds: 60 })
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
      400,
      'invalid_grant',
      'The authorization code was already used; the tokens issued for it are revoked',
    )
    const account = await getAccount(bolt, accessToken)
    expect(account.status).toBe(401)
    expect(account.json.error).toBe('invalid_token')
    const refreshed = await postToken(bolt, {
      grant_type: 'refresh_token',
      refresh_token: first.json.refresh_token as string,
      scope: 'bolt.account.view',
    })
    expect(refreshed.status).toBe(400)
    expect(refreshed.json.error).toBe('invalid_grant')
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, invalidGrants: 2 })
  })

  it('rejects an unknown code', async () => {
    const answer = await exchangeCode(bolt, 'code_not_issued')
    expectOAuthError(answer, 400, 'invalid_grant', 'The authorization code is invalid')
  })

  it('rejects a code once codeTtlSeconds have passed on the emulator clock', async () => {
    const { code } = bolt.login()
    bolt.advanceClock(600_000)
    const answer = await exchangeCode(bolt, code)
    expectOAuthError(answer, 400, 'invalid_grant', 'The authorization code has expired')
    expect(bolt.stats.invalidGrants).toBe(1)
  })

  it('accepts a code just before it expires', async () => {
    const { code } = bolt.login()
    bolt.advanceClock(590_000)
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
