// The emulator's own start, options and close() are under test: it calls startBoltEmulator itself.
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { startBoltEmulator, tokenHash } from '../../src/emulator/index.js'
import { exchangeCode, getAccount, postToken, refresh, signIn, T0 } from './helpers.js'

describe('emulator lifecycle', () => {
  it('listens on a free loopback port with the default credentials', async () => {
    const bolt = await startBoltEmulator()
    try {
      expect(bolt.url).toBe(`http://127.0.0.1:${bolt.port}`)
      expect(bolt.port).toBeGreaterThan(0)
      expect(bolt.clientId).toBe('pk_emulator_publishable_key')
      expect(bolt.clientSecret).toBe('sk_emulator_api_key')
      expect(Math.abs(bolt.now() - Date.now())).toBeLessThan(1_000)
    } finally {
      await bolt.close()
    }
  })

  it('runs its clock from `now`, with real time and advances (also backwards)', async () => {
    const bolt = await startBoltEmulator({ now: T0 })
    try {
      const start = bolt.now()
      expect(start - T0).toBeGreaterThanOrEqual(0)
      expect(start - T0).toBeLessThan(1_000)
      await new Promise((resolve) => setTimeout(resolve, 30))
      expect(bolt.now() - start).toBeGreaterThanOrEqual(25)
      bolt.advanceClock(60_000)
      expect(bolt.now() - start).toBeGreaterThanOrEqual(60_025)
      bolt.advanceClock(-120_000)
      expect(bolt.now()).toBeLessThan(start)
      expect(() => bolt.advanceClock(Number.NaN)).toThrow('ms must be a finite number')
    } finally {
      await bolt.close()
    }
  })

  it('refuses invalid options, naming them', async () => {
    await expect(startBoltEmulator({ port: -1 })).rejects.toThrow('port must be')
    await expect(startBoltEmulator({ clientSecret: '' })).rejects.toThrow('clientSecret must be')
    await expect(startBoltEmulator({ accessTokenTtlSeconds: 0 })).rejects.toThrow(
      'accessTokenTtlSeconds must be',
    )
    await expect(startBoltEmulator({ codeTtlSeconds: Number.NaN })).rejects.toThrow(
      'codeTtlSeconds must be',
    )
    await expect(startBoltEmulator({ refreshGraceMs: -5 })).rejects.toThrow(
      'refreshGraceMs must be',
    )
  })

  it('counts and records every token request, without secrets beyond the refresh token', async () => {
    const bolt = await startBoltEmulator({ now: T0 })
    try {
      const { code } = bolt.login({ state: 'st' })
      await exchangeCode(bolt, code, { client_secret: 'wrong' })
      const tokens = (await exchangeCode(bolt, code, { state: 'st' })).json
      const rotated = await refresh(bolt, tokens.refresh_token as string)
      await refresh(bolt, tokens.refresh_token as string)
      await getAccount(bolt, rotated.json.access_token as string)

      expect(bolt.stats).toEqual({
        tokenRequests: 4,
        codeExchanges: 1,
        refreshes: 1,
        graceReissues: 0,
        reuseDetected: 1,
        invalidGrants: 1,
        invalidClients: 1,
        idTokensIssued: 1,
        accountReads: 0,
        accountWrites: 0,
        idempotentReplays: 0,
        jwksRequests: 0,
        rateLimited: 0,
      })
      const requests = bolt.requests
      expect(requests.map(({ at, ...rest }) => rest)).toEqual([
        {
          path: '/v1/oauth/token',
          grantType: 'authorization_code',
          scope: 'bolt.account.manage openid',
          hasState: false,
          status: 403,
        },
        {
          path: '/v1/oauth/token',
          grantType: 'authorization_code',
          scope: 'bolt.account.manage openid',
          hasState: true,
          status: 200,
        },
        {
          path: '/v1/oauth/token',
          grantType: 'refresh_token',
          scope: 'bolt.account.view',
          hasState: false,
          refreshTokenHash: tokenHash(tokens.refresh_token as string),
          status: 200,
        },
        {
          path: '/v1/oauth/token',
          grantType: 'refresh_token',
          scope: 'bolt.account.view',
          hasState: false,
          refreshTokenHash: tokenHash(tokens.refresh_token as string),
          status: 422,
        },
      ])
      for (const request of requests) {
        expect(request.at - T0).toBeGreaterThanOrEqual(0)
        expect(request.at - T0).toBeLessThan(5_000)
      }
      expect(JSON.stringify(requests)).not.toContain(bolt.clientSecret)
      expect(JSON.stringify(requests)).not.toContain(code)
      expect(JSON.stringify(requests)).not.toContain(tokens.refresh_token as string)

      const snapshot = bolt.stats
      snapshot.refreshes = 99
      expect(bolt.stats.refreshes).toBe(1)

      bolt.resetStats()
      expect(Object.values(bolt.stats).every((count) => count === 0)).toBe(true)
      expect(bolt.requests).toEqual([])
    } finally {
      await bolt.close()
    }
  })

  it('records an unparseable request too', async () => {
    const bolt = await startBoltEmulator()
    try {
      await postToken(bolt, {}, { 'content-type': 'text/plain' })
      expect(bolt.requests).toEqual([
        {
          path: '/v1/oauth/token',
          grantType: '',
          scope: undefined,
          hasState: false,
          status: 400,
          at: expect.any(Number),
        },
      ])
    } finally {
      await bolt.close()
    }
  })

  it('close() resolves promptly with an idle keep-alive connection open', async () => {
    const bolt = await startBoltEmulator()
    await signIn(bolt)
    const socket = connect(bolt.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    socket.write(
      `GET /__emulator/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`,
    )
    await new Promise((resolve) => socket.once('data', resolve))
    const socketClosed = new Promise((resolve) => socket.once('close', resolve))

    const started = performance.now()
    await bolt.close()

    expect(performance.now() - started).toBeLessThan(500)
    await socketClosed
    await expect(fetch(`${bolt.url}/__emulator/stats`)).rejects.toThrow(TypeError)
  })

  it('close() resolves promptly with a request held by a delay fault, and is idempotent', async () => {
    const bolt = await startBoltEmulator()
    bolt.injectFault({ type: 'delay', ms: 60_000 })
    const pending = refresh(bolt, 'rt_x').catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))

    const started = performance.now()
    await Promise.all([bolt.close(), bolt.close()])

    expect(performance.now() - started).toBeLessThan(500)
    expect(await pending).toBeInstanceOf(TypeError)
    await bolt.close()
  })
})
