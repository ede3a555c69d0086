import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isBoltTokenError } from '../../src/errors.js'
import {
  accountStatus,
  logIn,
  managerFor,
  PAST_EXPIRY_MS,
  startEmulator,
  transports,
} from '../support/harness.js'
import { rejection } from '../support/rejection.js'

describe.each(transports)('token manager lifecycle over $name', ({ create }) => {
  it('exchanges a code into a fully scoped session that may manage the account', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    const status = await tokens.exchangeCode('s1', { code: bolt.login().code })

    expect(status).toEqual({
      state: 'fullyScoped',
      scopes: ['bolt.account.manage', 'openid'],
      expiresAt: expect.any(Number),
      canManage: true,
      lastError: null,
    })
    expect(status.expiresAt).toBeGreaterThan(bolt.now() + 3_590_000)
    expect(bolt.requests).toEqual([
      expect.objectContaining({
        grantType: 'authorization_code',
        scope: 'bolt.account.manage openid',
        hasState: false,
        status: 200,
      }),
    ])
    const token = await tokens.getAccessToken('s1', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    expect(tokens.transitions.map((t) => `${t.from}>${t.to}:${t.event}`)).toEqual([
      'unauthenticated>codeExchange:CODE_RECEIVED',
      'codeExchange>fullyScoped:EXCHANGE_SUCCEEDED',
    ])
  })

  it('a valid token is returned without any request to Bolt', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    const first = await tokens.getAccessToken('s1')
    const second = await tokens.getAccessToken('s1')
    expect(second).toBe(first)
    expect(bolt.stats.tokenRequests).toBe(1)
  })

  it('with expectedState, refuses STATE_MISMATCH before any request; the state is forwarded', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    const { code } = bolt.login({ state: 'st_issued' })

    for (const input of [
      { code, state: 'st_forged', expectedState: 'st_issued' },
      { code, expectedState: 'st_issued' },
      { code, state: 'st_issued', expectedState: '' },
      // A session that was issued no state matches nothing, '' included.
      { code, state: '', expectedState: '' },
      { code, state: 'st_issued', expectedState: undefined },
    ]) {
      const error = await rejection(tokens.exchangeCode('s1', input))
      expect(isBoltTokenError(error, 'STATE_MISMATCH')).toBe(true)
      expect(String((error as Error).message)).not.toContain('st_')
    }
    expect(bolt.stats.tokenRequests).toBe(0)
    expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')

    const status = await tokens.exchangeCode('s1', {
      code,
      state: 'st_issued',
      expectedState: 'st_issued',
    })
    expect(status.state).toBe('fullyScoped')
    expect(bolt.requests.map((r) => r.hasState)).toEqual([true])
  })

  it('without expectedState (a state Bolt issued with the code), forwards it and Bolt checks it', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    const { code } = bolt.login({ state: 'st_from_bolt' })

    // A wrong state is refused by Bolt; the code stays unused and the session as it was.
    const refused = await rejection(tokens.exchangeCode('s1', { code, state: 'st_forged' }))
    expect(refused).toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
      oauthError: 'invalid_request',
    })
    expect(String(refused.message)).not.toContain('st_')
    expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')

    const status = await tokens.exchangeCode('s1', { code, state: 'st_from_bolt' })
    expect(status.state).toBe('fullyScoped')
    expect(bolt.requests.map((r) => [r.status, r.hasState])).toEqual([
      [400, true],
      [200, true],
    ])
  })

  it('after an hour a refresh makes the session view-only; manage then needs a new login', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    const manageToken = await tokens.getAccessToken('s1')
    bolt.advanceClock(PAST_EXPIRY_MS)

    expect((await tokens.getStatus('s1')).state).toBe('expired')
    const error = await rejection(tokens.getAccessToken('s1', { scope: 'bolt.account.manage' }))
    expect(isBoltTokenError(error, 'SCOPE_REQUIRED')).toBe(true)
    expect(bolt.stats.refreshes).toBe(0)

    const viewToken = await tokens.getAccessToken('s1')
    expect(viewToken).not.toBe(manageToken)
    expect(bolt.requests.at(-1)).toEqual(
      expect.objectContaining({
        grantType: 'refresh_token',
        scope: 'bolt.account.view',
        status: 200,
      }),
    )
    expect(await tokens.getStatus('s1')).toEqual({
      state: 'viewOnly',
      scopes: ['bolt.account.view'],
      expiresAt: expect.any(Number),
      canManage: false,
      lastError: null,
    })
    expect(await accountStatus(bolt, viewToken, 'read')).toBe(200)
    expect(await accountStatus(bolt, viewToken, 'write')).toBe(403)
    expect(
      isBoltTokenError(
        await rejection(tokens.getAccessToken('s1', { scope: 'bolt.account.manage' })),
        'SCOPE_REQUIRED',
      ),
    ).toBe(true)
    expect(tokens.transitions.slice(2).map((t) => `${t.from}>${t.to}`)).toEqual([
      'fullyScoped>expired',
      'expired>refresh',
      'refresh>viewOnly',
    ])
  })

  it('step-up: a new login from view-only makes the session fully scoped again', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s1')
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')

    await logIn(bolt, tokens, 's1')
    const token = await tokens.getAccessToken('s1', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    expect((await tokens.getStatus('s1')).canManage).toBe(true)
  })

  it('honours rotation: each refresh presents the newest refresh token, never one twice', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    for (let round = 0; round < 4; round++) {
      bolt.advanceClock(PAST_EXPIRY_MS)
      expect(await accountStatus(bolt, await tokens.getAccessToken('s1'), 'read')).toBe(200)
    }
    const presented = bolt.requests
      .filter((r) => r.grantType === 'refresh_token')
      .map((r) => r.refreshTokenHash)
    expect(presented).toHaveLength(4)
    expect(new Set(presented).size).toBe(4)
    expect(bolt.stats).toEqual(
      expect.objectContaining({ refreshes: 4, reuseDetected: 0, invalidGrants: 0 }),
    )
  })

  it('a reused code is INVALID_GRANT and stores nothing', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    const { code } = bolt.login()
    await tokens.exchangeCode('s1', { code })
    const error = await rejection(tokens.exchangeCode('s2', { code }))
    expect(isBoltTokenError(error, 'INVALID_GRANT')).toBe(true)
    expect((error as { status?: number }).status).toBe(422)
    expect((error as Error).message).not.toContain(code)
    expect((await tokens.getStatus('s2')).state).toBe('unauthenticated')
    expect((await tokens.getStatus('s2')).lastError?.code).toBe('INVALID_GRANT')
  })

  it('a session revoked at Bolt ends with INVALID_GRANT, then NOT_AUTHENTICATED', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    bolt.revokeSession(await tokens.getAccessToken('s1'))
    bolt.advanceClock(PAST_EXPIRY_MS)

    const first = await rejection(tokens.getAccessToken('s1'))
    expect(isBoltTokenError(first, 'INVALID_GRANT')).toBe(true)
    expect(await tokens.getStatus('s1')).toEqual(
      expect.objectContaining({
        state: 'unauthenticated',
        scopes: [],
        canManage: false,
        lastError: expect.objectContaining({ code: 'INVALID_GRANT' }),
      }),
    )
    const second = await rejection(tokens.getAccessToken('s1'))
    expect(isBoltTokenError(second, 'NOT_AUTHENTICATED')).toBe(true)
    expect(bolt.stats.tokenRequests).toBe(2)
  })

  it('wrong credentials are INVALID_CLIENT and the secret appears nowhere in the error', async () => {
    const bolt = await startEmulator()
    const secret = 'sk_live_wrong_secret_value_123'
    const tokens = managerFor(bolt, create(), { clientSecret: secret })
    const { code } = bolt.login()
    const error = await rejection(tokens.exchangeCode('s1', { code }))
    expect(isBoltTokenError(error, 'INVALID_CLIENT')).toBe(true)
    expect((error as { status?: number }).status).toBe(403)
    for (const text of [
      (error as Error).message,
      (error as Error).stack ?? '',
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
    ]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(code)
    }
    expect(bolt.stats.invalidClients).toBe(1)
  })

  it('logout ends the session and is idempotent', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    await tokens.logout('s1')
    await tokens.logout('s1')
    expect(await tokens.getStatus('s1')).toEqual({
      state: 'unauthenticated',
      scopes: [],
      expiresAt: null,
      canManage: false,
      lastError: null,
    })
    expect(
      isBoltTokenError(await rejection(tokens.getAccessToken('s1')), 'NOT_AUTHENTICATED'),
    ).toBe(true)
    expect(tokens.transitions.at(-1)).toEqual(
      expect.objectContaining({ from: 'fullyScoped', to: 'unauthenticated', event: 'LOGOUT' }),
    )
  })

  it('an unknown session is NOT_AUTHENTICATED without a request', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    expect(
      isBoltTokenError(await rejection(tokens.getAccessToken('nobody')), 'NOT_AUTHENTICATED'),
    ).toBe(true)
    expect(bolt.stats.tokenRequests).toBe(0)
  })
})
