import { beforeEach, describe, expect, it } from 'vitest'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import { expectOAuthError } from './emulator-test-kit.js'
import { addAddress, getAccount, postToken, refresh, signIn, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({ now: T0 })
})

describe('refresh_token grant', () => {
  it('rotates: new view-only access token, new refresh token, no id_token', async () => {
    const tokens = await signIn(bolt)

    const answer = await refresh(bolt, tokens.refresh_token)

    expect(answer.status).toBe(200)
    expect(Object.keys(answer.json)).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'refresh_token_scope',
      'scope',
      'token_type',
    ])
    expect(answer.json).toMatchObject({
      expires_in: 3600,
      refresh_token_scope: 'bolt.account.view',
      scope: 'bolt.account.view',
      token_type: 'bearer',
    })
    expect(answer.json.access_token).toMatch(/^at_/)
    expect(answer.json.access_token).not.toBe(tokens.access_token)
    expect(answer.json.refresh_token).toMatch(/^rt_/)
    expect(answer.json.refresh_token).not.toBe(tokens.refresh_token)

    const viewOnly = answer.json.access_token as string
    expect((await getAccount(bolt, viewOnly)).status).toBe(200)
    expect((await addAddress(bolt, viewOnly)).status).toBe(403)
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 1, reuseDetected: 0 })
  })

  it('chains: each successor refresh token works once', async () => {
    let refreshToken = (await signIn(bolt)).refresh_token
    for (let i = 0; i < 3; i += 1) {
      const answer = await refresh(bolt, refreshToken)
      expect(answer.status).toBe(200)
      refreshToken = answer.json.refresh_token as string
    }
    expect(bolt.stats.refreshes).toBe(3)
  })

  it('treats a spent refresh token as reuse: invalid_grant and the whole family revoked', async () => {
    const tokens = await signIn(bolt)
    const rotated = await refresh(bolt, tokens.refresh_token)
    const successorAccess = rotated.json.access_token as string
    const successorRefresh = rotated.json.refresh_token as string

    const reuse = await refresh(bolt, tokens.refresh_token)

    expectOAuthError(
      reuse,
      422,
      'invalid_grant',
      'The refresh token was already used; every token of this session is revoked',
    )
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(401)
    expect((await getAccount(bolt, successorAccess)).status).toBe(401)
    const successor = await refresh(bolt, successorRefresh)
    expectOAuthError(successor, 422, 'invalid_grant', 'The refresh token has been revoked')
    expect(bolt.stats).toMatchObject({ refreshes: 1, reuseDetected: 1, invalidGrants: 2 })
  })

  it('does not revoke other sessions of the same shopper on reuse', async () => {
    const first = await signIn(bolt)
    const second = await signIn(bolt)
    await refresh(bolt, first.refresh_token)
    await refresh(bolt, first.refresh_token)
    expect((await getAccount(bolt, second.access_token)).status).toBe(200)
    expect((await refresh(bolt, second.refresh_token)).status).toBe(200)
  })

  describe('with a grace window', () => {
    beforeEach(async () => {
      bolt = await startEmulator({ now: T0, refreshGraceMs: 10_000 })
    })

    it('re-issues the same successor within the window', async () => {
      const tokens = await signIn(bolt)
      const rotated = await refresh(bolt, tokens.refresh_token)
      bolt.advanceClock(9_000)

      const again = await refresh(bolt, tokens.refresh_token)

      expect(again.status).toBe(200)
      expect(again.json).toEqual(rotated.json)
      expect(bolt.stats).toMatchObject({ refreshes: 1, graceReissues: 1, reuseDetected: 0 })
      expect((await refresh(bolt, again.json.refresh_token as string)).status).toBe(200)
    })

    it('detects reuse after the window', async () => {
      const tokens = await signIn(bolt)
      await refresh(bolt, tokens.refresh_token)
      bolt.advanceClock(11_000)

      const late = await refresh(bolt, tokens.refresh_token)

      expect(late.status).toBe(422)
      expect(late.json.error).toBe('invalid_grant')
      expect(bolt.stats).toMatchObject({ graceReissues: 0, reuseDetected: 1 })
    })
  })

  it("expires a refresh token after Bolt's year (refreshTokenTtlSeconds)", async () => {
    const tokens = await signIn(bolt)
    bolt.advanceClock(365 * 24 * 3_600_000 - 1_000)
    const successor = await refresh(bolt, tokens.refresh_token)
    expect(successor.status).toBe(200)
    bolt.advanceClock(365 * 24 * 3_600_000)
    const late = await refresh(bolt, successor.json.refresh_token as string)
    expectOAuthError(late, 422, 'invalid_grant', 'The refresh token has expired')

    bolt = await startEmulator({ now: T0, refreshTokenTtlSeconds: 60 })
    const short = await signIn(bolt)
    bolt.advanceClock(60_000)
    expect((await refresh(bolt, short.refresh_token)).status).toBe(422)
  })

  it('reuseRevokesFamily: false refuses a spent refresh token and revokes nothing', async () => {
    bolt = await startEmulator({ now: T0, reuseRevokesFamily: false })
    const tokens = await signIn(bolt)
    const rotated = await refresh(bolt, tokens.refresh_token)

    const reuse = await refresh(bolt, tokens.refresh_token)

    expectOAuthError(reuse, 422, 'invalid_grant', 'The refresh token was already used')
    expect((await getAccount(bolt, rotated.json.access_token as string)).status).toBe(200)
    expect((await refresh(bolt, rotated.json.refresh_token as string)).status).toBe(200)
    expect(bolt.stats.reuseDetected).toBe(1)
  })

  it('refuses bolt.account.manage without spending the refresh token', async () => {
    const tokens = await signIn(bolt)
    const answer = await refresh(bolt, tokens.refresh_token, 'bolt.account.manage')
    expectOAuthError(
      answer,
      400,
      'invalid_scope',
      'A refresh token only grants bolt.account.view; bolt.account.manage needs a new login',
    )
    const both = await refresh(bolt, tokens.refresh_token, 'bolt.account.view bolt.account.manage')
    expect(both.json.error).toBe('invalid_scope')
    expect((await refresh(bolt, tokens.refresh_token)).status).toBe(200)
  })

  it('requires bolt.account.view', async () => {
    const tokens = await signIn(bolt)
    const answer = await refresh(bolt, tokens.refresh_token, 'openid')
    expectOAuthError(
      answer,
      400,
      'invalid_scope',
      'The refresh_token grant requires scope bolt.account.view',
    )
  })

  it('rejects an unknown refresh token and a missing one', async () => {
    const unknown = await refresh(bolt, 'rt_not_issued')
    expectOAuthError(unknown, 422, 'invalid_grant', 'The refresh token is invalid')
    const missing = await postToken(bolt, {
      grant_type: 'refresh_token',
      scope: 'bolt.account.view',
    })
    expectOAuthError(missing, 400, 'invalid_request', 'refresh_token is required')
    expect(bolt.stats.invalidGrants).toBe(1)
  })

  it('revokeSession signs the shopper out at Bolt', async () => {
    const tokens = await signIn(bolt)
    bolt.revokeSession(tokens.refresh_token)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(401)
    expect((await refresh(bolt, tokens.refresh_token)).json.error).toBe('invalid_grant')

    const other = await signIn(bolt)
    bolt.revokeSession(other.access_token)
    expect((await refresh(bolt, other.refresh_token)).json.error).toBe('invalid_grant')

    expect(() => bolt.revokeSession('rt_not_issued')).toThrow(
      'revokeSession: the emulator never issued that token',
    )
  })
})
