import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { type BoltEmulator, type BoltEmulatorOptions, faults } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import { exchangeCode, refresh, T0 } from './helpers.js'

let bolt: BoltEmulator | undefined

async function start(options: BoltEmulatorOptions = {}) {
  bolt = await startEmulator({ now: T0, ...options })
  return bolt
}

async function idTokenOf(emulator: BoltEmulator, scope = 'bolt.account.manage openid') {
  const answer = await exchangeCode(emulator, emulator.login().code, { scope })
  return answer.json.id_token as string
}

describe('ID tokens', () => {
  it('are signed RS256 with the JWKS key, without kid by default (as Bolt’s example); idTokenKid adds it', async () => {
    const emulator = await start()
    const token = await idTokenOf(emulator)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT' })
    const jwks = createRemoteJWKSet(new URL(`${emulator.url}/v3/oauth/jwks.json`))
    await expect(jwtVerify(token, jwks)).resolves.toMatchObject({ payload: { iss: emulator.url } })
    expect(emulator.stats).toMatchObject({ idTokensIssued: 1, jwksRequests: 1 })

    const withKid = await start({ idTokenKid: true })
    expect(decodeProtectedHeader(await idTokenOf(withKid))).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: withKid.jwks().keys[0]?.kid,
    })
  })

  it('idTokenIssuer sets iss (Bolt’s example says http://api.bolt.com, discovery https://…)', async () => {
    const emulator = await start({ idTokenIssuer: 'http://api.bolt.com' })
    expect(emulator.idTokenIssuer).toBe('http://api.bolt.com')
    expect(emulator.issuer).toBe(emulator.url)
    const { payload } = await jwtVerify(
      await idTokenOf(emulator),
      createLocalJWKSet(emulator.jwks()),
    )
    expect(payload.iss).toBe('http://api.bolt.com')
    const discovery = await (await fetch(`${emulator.url}/.well-known/openid-configuration`)).json()
    expect(discovery.issuer).toBe(emulator.url)
  })

  it('are issued only for openid on a code exchange, never on refresh', async () => {
    const emulator = await start()
    const answer = await exchangeCode(emulator, emulator.login().code, {
      scope: 'bolt.account.manage',
    })
    expect(answer.json).not.toHaveProperty('id_token')
    const refreshed = await refresh(
      emulator,
      answer.json.refresh_token as string,
      'bolt.account.view openid',
    )
    expect(refreshed.status).toBe(200)
    expect(refreshed.json).not.toHaveProperty('id_token')
    expect(emulator.stats.idTokensIssued).toBe(0)
  })

  it('rotateSigningKey: tokens signed before no longer verify against the served JWKS', async () => {
    const emulator = await start()
    const before = await idTokenOf(emulator)
    const oldKid = emulator.jwks().keys[0]?.kid
    const jwk = await emulator.rotateSigningKey()
    expect(jwk.kid).not.toBe(oldKid)
    expect(emulator.jwks()).toEqual({ keys: [jwk] })
    const served = createLocalJWKSet(emulator.jwks())
    await expect(jwtVerify(before, served)).rejects.toThrow()
    await expect(jwtVerify(await idTokenOf(emulator), served)).resolves.toBeDefined()
  })

  it('the JWKS can be made unreachable: setJwksAvailable(false), or a fault on the jwks route', async () => {
    const emulator = await start()
    const jwksUrl = `${emulator.url}/v3/oauth/jwks.json`
    emulator.setJwksAvailable(false)
    const down = await fetch(jwksUrl)
    expect(down.status).toBe(503)
    expect(await down.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The JWKS is unavailable',
    })
    emulator.setJwksAvailable(true)
    emulator.injectFault(faults.html(502), { route: 'jwks' })
    expect((await fetch(jwksUrl)).status).toBe(502)
    expect((await fetch(jwksUrl)).status).toBe(200)
    emulator.injectFault({ type: 'drop', when: 'before' }, { route: 'discovery' })
    await expect(fetch(`${emulator.url}/.well-known/openid-configuration`)).rejects.toThrow()
    expect(emulator.stats.jwksRequests).toBe(3)
  })
})
