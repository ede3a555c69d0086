/**
 * `@RequiresBoltScope` over HTTP against a real emulator: a session that can manage passes, a
 * view-only one gets `SCOPE_REQUIRED` (403) and a request without a session `NOT_AUTHENTICATED`
 * (401), without the handler running; `bolt.account.view` refreshes an expired token.
 */
import { Controller, Get, HttpCode, Post } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import { createTokenManager, type TokenManager } from 'bolt-token-lifecycle'
import { type BoltEmulator, emulatorManagerOptions } from 'bolt-token-lifecycle/emulator'
import {
  type BoltErrorLogEntry,
  BoltTokenErrorFilter,
  BoltTokensModule,
  type BoltTokensModuleOptions,
  RequiresBoltScope,
} from 'bolt-token-lifecycle/nestjs'
import type { Request } from 'express'
import { beforeEach, describe, expect, it } from 'vitest'
import { PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { listenNest } from './nest-app.js'

/** Which handlers ran. */
const ran: string[] = []

@Controller()
class AccountController {
  @Post('addresses')
  @HttpCode(200)
  @RequiresBoltScope('bolt.account.manage')
  addAddress() {
    ran.push('addAddress')
    return { added: true }
  }

  @Get('account')
  @RequiresBoltScope('bolt.account.view')
  getAccount() {
    ran.push('getAccount')
    return { read: true }
  }

  @Get('public')
  getPublic() {
    ran.push('getPublic')
    return { public: true }
  }
}

/** Every route of this controller needs manage (the default scope). */
@Controller('settings')
@RequiresBoltScope()
class SettingsController {
  @Get()
  getSettings() {
    ran.push('getSettings')
    return { settings: true }
  }
}

const scopeRequired = {
  error: 'SCOPE_REQUIRED',
  action: 'show_login_modal',
  message: expect.stringContaining('view-only'),
}
const notAuthenticated = { error: 'NOT_AUTHENTICATED', action: 'show_login_modal' }

describe('@RequiresBoltScope', () => {
  let bolt: BoltEmulator
  let tokens: TokenManager
  let logged: BoltErrorLogEntry[]

  beforeEach(async () => {
    bolt = await startEmulator()
    tokens = createTokenManager(emulatorManagerOptions(bolt))
    logged = []
    ran.length = 0
  })

  async function start(options: Partial<BoltTokensModuleOptions<Request>> = {}) {
    const { url } = await listenNest({
      imports: [
        BoltTokensModule.forRoot({
          tokens,
          // The session id comes in a header here; the examples read their session cookie.
          getSessionId: (request: Request) => request.header('x-session'),
          logServerError: (entry) => logged.push(entry),
          ...options,
        }),
      ],
      controllers: [AccountController, SettingsController],
      providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
    })
    return (method: 'GET' | 'POST', path: string, session?: string) =>
      fetch(`${url}${path}`, {
        method,
        headers: session === undefined ? {} : { 'x-session': session },
      }).then(async (response) => ({ status: response.status, body: await response.json() }))
  }

  it('lets a session that can manage through, and stops a view-only one before the handler', async () => {
    const send = await start()
    await tokens.exchangeCode('s1', { code: bolt.login().code })
    expect(await send('POST', '/addresses', 's1')).toEqual({ status: 200, body: { added: true } })
    expect(await send('GET', '/settings', 's1')).toEqual({
      status: 200,
      body: { settings: true },
    })
    expect(ran).toEqual(['addAddress', 'getSettings'])

    // An hour passes: manage needs a new login, which no refresh can replace.
    bolt.advanceClock(PAST_EXPIRY_MS)
    expect(await send('POST', '/addresses', 's1')).toEqual({ status: 403, body: scopeRequired })
    expect(bolt.stats.refreshes).toBe(0)
    // A route that only reads refreshes the token (view-only from now on).
    expect(await send('GET', '/account', 's1')).toEqual({ status: 200, body: { read: true } })
    expect(bolt.stats.refreshes).toBe(1)
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    expect(await send('POST', '/addresses', 's1')).toEqual({ status: 403, body: scopeRequired })
    expect(await send('GET', '/settings', 's1')).toEqual({ status: 403, body: scopeRequired })
    expect(ran).toEqual(['addAddress', 'getSettings', 'getAccount'])

    // The step-up login: manage again.
    await tokens.exchangeCode('s1', { code: bolt.login().code })
    expect(await send('POST', '/addresses', 's1')).toEqual({ status: 200, body: { added: true } })
    expect(logged).toEqual([])
  })

  it('answers NOT_AUTHENTICATED without a session, or for a session with no tokens', async () => {
    const send = await start()
    expect(await send('POST', '/addresses')).toEqual({ status: 401, body: notAuthenticated })
    expect(await send('GET', '/account', 'never-logged-in')).toEqual({
      status: 401,
      body: notAuthenticated,
    })
    expect(ran).toEqual([])
    expect(bolt.stats.tokenRequests).toBe(0)
  })

  it('leaves routes without it alone', async () => {
    const send = await start()
    expect(await send('GET', '/public')).toEqual({ status: 200, body: { public: true } })
    expect(ran).toEqual(['getPublic'])
  })

  it('takes a getSessionId that answers with a promise', async () => {
    const send = await start({
      getSessionId: async (request: Request) => request.header('x-session'),
    })
    await tokens.exchangeCode('s2', { code: bolt.login().code })
    expect(await send('POST', '/addresses', 's2')).toEqual({ status: 200, body: { added: true } })
  })

  it('is a configuration error (500, logged) without getSessionId', async () => {
    const { url } = await listenNest({
      imports: [
        BoltTokensModule.forRoot({ tokens, logServerError: (entry) => logged.push(entry) }),
      ],
      controllers: [AccountController],
      providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
    })
    const answer = await fetch(`${url}/addresses`, { method: 'POST' })
    expect(answer.status).toBe(500)
    expect(await answer.json()).toEqual({ error: 'INTERNAL_ERROR' })
    expect(logged).toEqual([
      {
        method: 'POST',
        path: '/addresses',
        status: 500,
        error: expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('getSessionId'),
        }),
      },
    ])
    expect(ran).toEqual([])
  })
})
