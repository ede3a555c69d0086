import { beforeEach, describe, expect, it } from 'vitest'
import { type BoltEmulator, faults } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import { control, exchangeCode, getAccount, refresh, signIn, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({ now: T0 })
})

describe('control API over HTTP', () => {
  it('POST /__emulator/login issues a code, with state when given', async () => {
    const withState = await control(bolt, 'POST', 'login', {
      email: 'remote@example.com',
      state: 's-123',
      scope: 'bolt.account.view openid',
    })
    expect(withState.status).toBe(200)
    expect(withState.json).toEqual({ code: expect.stringMatching(/^code_/), state: 's-123' })
    const exchanged = await exchangeCode(bolt, withState.json.code as string, {
      state: 's-123',
      scope: 'bolt.account.view',
    })
    expect(exchanged.status).toBe(200)
    const account = await getAccount(bolt, exchanged.json.access_token as string)
    expect(account.json.profile).toMatchObject({ email: 'remote@example.com' })

    const defaults = await control(bolt, 'POST', 'login')
    expect(Object.keys(defaults.json)).toEqual(['code'])
  })

  it('POST /__emulator/login refuses bad input with 400', async () => {
    const answer = await control(bolt, 'POST', 'login', { scope: 'admin' })
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({
      error: 'invalid_request',
      error_description:
        'scope must be space-separated scopes from: bolt.account.manage, bolt.account.view, openid',
    })
    const notJson = await fetch(`${bolt.url}/__emulator/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(notJson.status).toBe(400)
  })

  it('POST /__emulator/clock/advance moves the clock and expires tokens', async () => {
    const tokens = await signIn(bolt)
    const before = (await control(bolt, 'GET', 'clock')).json.now as number
    const advanced = await control(bolt, 'POST', 'clock/advance', { ms: 3_600_000 })
    expect(advanced.status).toBe(200)
    expect((advanced.json.now as number) - before).toBeGreaterThanOrEqual(3_600_000)
    expect((advanced.json.now as number) - before).toBeLessThan(3_605_000)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(401)

    const bad = await control(bolt, 'POST', 'clock/advance', { ms: 'soon' })
    expect(bad.status).toBe(400)
    expect(bad.json.error_description).toBe('ms must be a finite number')
  })

  it('POST /__emulator/login sets the shopper profile; GET /__emulator/shopper reads it back', async () => {
    const login = await control(bolt, 'POST', 'login', {
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
      phone: '+12125550100',
      phoneVerified: false,
    })
    expect(login.status).toBe(200)
    const shopper = await control(bolt, 'GET', 'shopper?email=grace%40example.com')
    expect(shopper.status).toBe(200)
    expect(shopper.json).toEqual({
      id: expect.stringMatching(/^acct_[0-9a-f]{16}$/),
      email: 'grace@example.com',
      emailVerified: true,
      firstName: 'Grace',
      lastName: 'Hopper',
      phone: '+12125550100',
      phoneVerified: false,
      addresses: [],
      paymentMethods: [],
    })
    expect((await control(bolt, 'GET', 'shopper?email=nobody%40example.com')).status).toBe(404)
    const bad = await control(bolt, 'POST', 'login', { firstName: 7 })
    expect(bad.status).toBe(400)
    expect(bad.json.error_description).toBe('firstName must be a non-empty string')
  })

  it('POST /__emulator/signing-key/rotate and PUT /__emulator/jwks/available', async () => {
    const before = bolt.jwks().keys[0]?.kid
    const rotated = await control(bolt, 'POST', 'signing-key/rotate')
    expect(rotated.status).toBe(200)
    const jwk = rotated.json.jwk as Record<string, unknown>
    expect(jwk.kid).not.toBe(before)
    expect(bolt.jwks().keys).toEqual([jwk])

    expect((await control(bolt, 'PUT', 'jwks/available', { available: false })).status).toBe(204)
    expect((await fetch(`${bolt.url}/v3/oauth/jwks.json`)).status).toBe(503)
    expect((await control(bolt, 'PUT', 'jwks/available', { available: true })).status).toBe(204)
    expect((await fetch(`${bolt.url}/v3/oauth/jwks.json`)).status).toBe(200)
    expect((await control(bolt, 'PUT', 'jwks/available', { available: 'no' })).status).toBe(400)
  })

  it('GET /__emulator/stats and /requests, DELETE /__emulator/stats', async () => {
    const tokens = await signIn(bolt)
    await refresh(bolt, tokens.refresh_token)

    const stats = await control(bolt, 'GET', 'stats')
    expect(stats.json).toEqual({
      tokenRequests: 2,
      codeExchanges: 1,
      refreshes: 1,
      graceReissues: 0,
      reuseDetected: 0,
      invalidGrants: 0,
      invalidClients: 0,
      idTokensIssued: 1,
      accountReads: 0,
      accountWrites: 0,
      idempotentReplays: 0,
      jwksRequests: 0,
      rateLimited: 0,
    })
    const requests = await control(bolt, 'GET', 'requests')
    expect((requests.json as unknown as unknown[]).length).toBe(2)

    expect((await control(bolt, 'DELETE', 'stats')).status).toBe(204)
    expect((await control(bolt, 'GET', 'stats')).json.tokenRequests).toBe(0)
    expect(bolt.requests).toEqual([])
  })

  it('POST and DELETE /__emulator/faults', async () => {
    const queued = await control(bolt, 'POST', 'faults', { fault: faults.html(502), times: 2 })
    expect(queued.status).toBe(204)
    expect((await refresh(bolt, 'rt_x')).status).toBe(502)
    expect((await control(bolt, 'DELETE', 'faults')).status).toBe(204)
    expect((await refresh(bolt, 'rt_x')).status).toBe(422)

    await control(bolt, 'POST', 'faults', { fault: faults.serverError(503), route: 'account' })
    expect((await getAccount(bolt)).status).toBe(503)

    const bad = await control(bolt, 'POST', 'faults', { fault: { type: 'explode' } })
    expect(bad.status).toBe(400)
    expect(bad.json.error_description).toBe("fault.type must be 'respond', 'delay' or 'drop'")
  })

  it('POST /__emulator/revoke revokes a session', async () => {
    const tokens = await signIn(bolt)
    expect((await control(bolt, 'POST', 'revoke', { token: tokens.access_token })).status).toBe(204)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(401)
    expect((await control(bolt, 'POST', 'revoke', { token: 'rt_unknown' })).status).toBe(404)
  })

  it('answers 404 to unknown control routes', async () => {
    const answer = await control(bolt, 'GET', 'secrets')
    expect(answer.status).toBe(404)
    expect(answer.json.error).toBe('not_found')
  })
})
