// From the attacker's side: a web page that makes a browser talk to the Bolt emulator on
// loopback. By DNS rebinding its requests carry `Host: evil.example:PORT`; cross-site they
// carry `Origin: http://evil.example` and a body no preflight guards (`text/plain`, a form).
// The emulator must refuse both and change nothing, and its request log, readable by anyone
// on the machine, must hold no token that could be replayed.
import { beforeEach, describe, expect, it } from 'vitest'
import { type BoltEmulator, tokenHash } from '../../src/emulator/index.js'
import { exchangeCode, refresh, signIn, T0, type TokenBody } from '../emulator/helpers.js'
import { startEmulator } from '../support/harness.js'
import { type RawAnswer, rawRequest } from './raw-request.js'

const EVIL = 'http://evil.example'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({ now: T0, refreshGraceMs: 60_000 })
})

const here = () => `127.0.0.1:${bolt.port}`

function post(path: string, headers: Record<string, string>, body = '{"ms":3600000}') {
  return rawRequest(bolt.port, { method: 'POST', path, headers, body })
}

function tokenForm(): string {
  const { code } = bolt.login()
  return new URLSearchParams({
    client_id: bolt.clientId,
    client_secret: bolt.clientSecret,
    grant_type: 'authorization_code',
    code,
    scope: 'bolt.account.manage openid',
  }).toString()
}

const formHeaders = () => ({
  'content-type': 'application/x-www-form-urlencoded',
  'x-api-key': bolt.clientSecret,
})

function expectRefused(answer: RawAnswer, status: number, error: string): void {
  expect({
    status: answer.status,
    contentType: answer.contentType,
    error: answer.json.error,
  }).toEqual({ status, contentType: 'application/json', error })
}

describe('DNS rebinding: a Host that is not loopback', () => {
  it('is refused with 421 on the control API, the request log and the token endpoint', async () => {
    const host = `evil.example:${bolt.port}`
    expectRefused(
      await rawRequest(bolt.port, { path: '/__emulator/requests', headers: { host } }),
      421,
      'misdirected_request',
    )
    const before = bolt.now()
    expectRefused(
      await post('/__emulator/clock/advance', { host, 'content-type': 'application/json' }),
      421,
      'misdirected_request',
    )
    expect(bolt.now() - before).toBeLessThan(60_000)
    expectRefused(
      await post('/v1/oauth/token', { host, ...formHeaders() }, tokenForm()),
      421,
      'misdirected_request',
    )
    expect(bolt.stats.tokenRequests).toBe(0)
  })

  it('every loopback spelling is accepted, with or without a port', async () => {
    const statuses: Record<string, number> = {}
    for (const host of [
      here(),
      '127.0.0.1',
      'localhost',
      `localhost:${bolt.port}`,
      '[::1]:80',
      '127.1.2.3',
    ]) {
      statuses[host] = (
        await rawRequest(bolt.port, { path: '/__emulator/clock', headers: { host } })
      ).status
    }
    expect(Object.values(statuses)).toEqual([200, 200, 200, 200, 200, 200])
    for (const host of [
      'localhost.evil.example',
      '127.0.0.1.evil.example',
      'user@127.0.0.1',
      '[::2]',
    ]) {
      statuses[host] = (
        await rawRequest(bolt.port, { path: '/__emulator/clock', headers: { host } })
      ).status
    }
    expect(Object.values(statuses).slice(6)).toEqual([421, 421, 421, 421])
  })
})

describe('cross-site requests to the control API', () => {
  it('a text/plain POST from another origin is refused with 403 and the clock does not move; a same-origin JSON one moves it', async () => {
    const before = bolt.now()
    const answer = await post('/__emulator/clock/advance', {
      host: here(),
      origin: EVIL,
      'content-type': 'text/plain;charset=UTF-8',
    })
    expectRefused(answer, 403, 'forbidden_origin')
    expect(bolt.now() - before).toBeLessThan(60_000)

    const sameOrigin = await post('/__emulator/clock/advance', {
      host: here(),
      origin: `http://${here()}`,
      'content-type': 'application/json',
    })
    expect(sameOrigin.status).toBe(200)
    expect(bolt.now() - before).toBeGreaterThanOrEqual(3_600_000)
  })

  it('a POST from another origin is refused even as JSON; a session it tries to revoke stays live', async () => {
    const tokens = await signIn(bolt)
    const answer = await post(
      '/__emulator/revoke',
      { host: here(), origin: EVIL, 'content-type': 'application/json' },
      JSON.stringify({ token: tokens.access_token }),
    )
    expectRefused(answer, 403, 'forbidden_origin')
    expect((await refresh(bolt, tokens.refresh_token)).status).toBe(200)
  })

  it('a POST without a JSON content type is refused with 415, even without an Origin', async () => {
    const before = bolt.now()
    const answer = await post('/__emulator/clock/advance', {
      host: here(),
      'content-type': 'application/x-www-form-urlencoded',
    })
    expectRefused(answer, 415, 'unsupported_media_type')
    expect(bolt.now() - before).toBeLessThan(60_000)
  })
})

describe("cross-site requests to Bolt's API", () => {
  it('a form POST to the token endpoint from another origin is refused with 403 and spends no code', async () => {
    const form = tokenForm()
    const answer = await post(
      '/v1/oauth/token',
      { host: here(), origin: EVIL, ...formHeaders() },
      form,
    )
    expectRefused(answer, 403, 'forbidden_origin')
    expect(bolt.stats).toMatchObject({ tokenRequests: 0, codeExchanges: 0 })
    const serverToServer = await post('/v1/oauth/token', { host: here(), ...formHeaders() }, form)
    expect(serverToServer.status).toBe(200)
  })
})

describe('the request log', () => {
  it('holds hashes, never a token, code or secret the emulator was sent or issued', async () => {
    const { code } = bolt.login()
    const first = (await exchangeCode(bolt, code)).json as unknown as TokenBody
    const second = (await refresh(bolt, first.refresh_token)).json as unknown as TokenBody
    // Inside the grace window, the spent refresh token still buys live tokens.
    const replayed = await refresh(bolt, first.refresh_token)
    expect(replayed.status).toBe(200)
    await refresh(bolt, second.refresh_token)

    const log = await rawRequest(bolt.port, {
      path: '/__emulator/requests',
      headers: { host: here() },
    })
    expect(log.status).toBe(200)
    const issued = [code, bolt.clientSecret, first, second].flatMap((value) =>
      typeof value === 'string'
        ? [value]
        : [value.access_token, value.refresh_token, value.id_token ?? ''].filter(Boolean),
    )
    expect(issued.filter((secret) => log.body.includes(secret))).toEqual([])
    expect(issued.filter((secret) => JSON.stringify(bolt.requests).includes(secret))).toEqual([])
    expect(
      (log.json as unknown as { refreshTokenHash?: string }[]).map((r) => r.refreshTokenHash),
    ).toEqual([
      undefined,
      tokenHash(first.refresh_token),
      tokenHash(first.refresh_token),
      tokenHash(second.refresh_token),
    ])
  })
})
