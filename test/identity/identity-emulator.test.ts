// getIdentity end to end through the Bolt emulator, which signs RS256 ID tokens as Bolt does
// (no kid, no sub, no aud) and serves discovery and the JWKS: login, a refresh an hour later,
// a step-up, logout, a login without openid, and a signing-key rotation.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('getIdentity through the emulator', () => {
  it('login gives the shopper as Bolt states it; a refresh an hour later keeps it', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await logIn(bolt, tokens, 's')
    const identity = await tokens.getIdentity('s')
    expect(identity).toMatchObject({
      email: 'shopper@example.com',
      email_verified: true,
      first_name: 'Alan',
      last_name: 'Watts',
      phone_number: '+14155550199',
      phone_number_verified: true,
      iss: bolt.url,
    })
    expect(identity).not.toHaveProperty('sub')
    expect(identity).not.toHaveProperty('aud')

    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s')
    expect((await tokens.getStatus('s')).state).toBe('viewOnly')
    expect(bolt.stats.refreshes).toBe(1)
    expect(await tokens.getIdentity('s')).toEqual(identity)
  })

  it('a step-up login replaces it; logout gives null', async () => {
    const bolt = await startEmulator({ idTokenKid: true })
    const tokens = managerFor(bolt, createFetchTransport())
    await logIn(bolt, tokens, 's')
    const first = await tokens.getIdentity('s')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s')
    const { code } = bolt.login({
      email: 'ada@example.com',
      firstName: 'Ada',
      emailVerified: false,
    })
    await tokens.exchangeCode('s', { code })
    const second = await tokens.getIdentity('s')
    expect(second).toMatchObject({
      email: 'ada@example.com',
      email_verified: false,
      first_name: 'Ada',
    })
    expect(second?.iat).toBeGreaterThan(first?.iat ?? Number.POSITIVE_INFINITY)
    await tokens.logout('s')
    expect(await tokens.getIdentity('s')).toBeNull()
  })

  it('a login without openid has no identity', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await tokens.exchangeCode('s', { code: bolt.login().code, scope: 'bolt.account.manage' })
    expect((await tokens.getStatus('s')).canManage).toBe(true)
    expect(await tokens.getIdentity('s')).toBeNull()
  })

  it('the JWKS down: a typed error, then the identity once it is back', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await logIn(bolt, tokens, 's')
    bolt.setJwksAvailable(false)
    await expect(tokens.getIdentity('s')).rejects.toMatchObject({ code: 'INVALID_RESPONSE' })
    bolt.setJwksAvailable(true)
    await expect(tokens.getIdentity('s')).resolves.toMatchObject({ first_name: 'Alan' })
  })

  it('after Bolt rotates its key (tokens without kid), a new login verifies once the minute has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }) // jose's cooldown reads Date.now
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await logIn(bolt, tokens, 'before')
    await tokens.getIdentity('before')
    await bolt.rotateSigningKey()
    await logIn(bolt, tokens, 'after')
    // Within a minute of the last fetch, the new key is not fetched: refused.
    await expect(tokens.getIdentity('after')).rejects.toMatchObject({ code: 'ID_TOKEN_INVALID' })
    vi.setSystemTime(Date.now() + 61_000)
    await expect(tokens.getIdentity('after')).resolves.toMatchObject({ first_name: 'Alan' })
    expect(bolt.stats.jwksRequests).toBe(2)
  })
})
