/**
 * The example's routes, the same as the Express, Fastify and Hono examples': the login
 * state, the login modal's callback, an account read, an address write (which needs
 * `bolt.account.manage`), logout, and the readiness probe.
 */
import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common'
import { SCOPE_MANAGE, type TokenManager } from 'bolt-token-lifecycle'
import { InjectBoltTokens, RequiresBoltScope } from 'bolt-token-lifecycle/nestjs'
import type { Response } from 'express'
import type { BoltAccountApi } from '../shared/bolt-account-api.js'
import { readAddress, readLoginCallback } from '../shared/requests.js'
import type { Sessions } from '../shared/sessions.js'
import { BOLT_ACCOUNT_API, SESSIONS } from './injection-tokens.js'

@Controller()
export class BoltController {
  constructor(
    @InjectBoltTokens() private readonly tokens: TokenManager,
    @Inject(SESSIONS) private readonly sessions: Sessions,
    @Inject(BOLT_ACCOUNT_API) private readonly bolt: BoltAccountApi,
  ) {}

  // A readiness probe: the store and Bolt's token endpoint answer (no grant is spent).
  @Get('healthz')
  async healthz(@Res({ passthrough: true }) response: Response) {
    const report = await this.tokens.checkHealth()
    response.status(report.ok ? 200 : 503).set('cache-control', 'no-store')
    return report
  }

  // The page calls this before opening Bolt's login modal with the returned `state`.
  @Get('bolt/login-state')
  loginState(
    @Headers('cookie') cookie: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const session = this.sessions.start(cookie)
    if (session.setCookie !== undefined) response.append('set-cookie', session.setCookie)
    return { state: this.sessions.newLoginState(session.id) }
  }

  // The login modal's callback: the frontend posts the `code` and `state` Bolt gave it.
  @Post('bolt/login-callback')
  @HttpCode(200)
  async loginCallback(@Headers('cookie') cookie: string | undefined, @Body() body: unknown) {
    const sessionId = this.sessions.require(cookie)
    const { code, state } = readLoginCallback(body)
    return this.tokens.exchangeCode(sessionId, {
      code,
      state,
      // The state issued to this session, used once. '' if none: it matches no state.
      expectedState: this.sessions.takeLoginState(sessionId) ?? '',
    }) // { state: 'fullyScoped', scopes, expiresAt, canManage: true, lastError: null }
  }

  // Viewing the account: any valid token will do (refreshed when expired).
  @Get('account')
  getAccount(@Headers('cookie') cookie: string | undefined) {
    return this.bolt.getAccount(this.sessions.require(cookie))
  }

  // Changing the account needs bolt.account.manage: on a view-only session the guard throws
  // SCOPE_REQUIRED (403, show the login modal) before the handler runs.
  @Post('account/addresses')
  @HttpCode(200)
  @RequiresBoltScope(SCOPE_MANAGE)
  addAddress(@Headers('cookie') cookie: string | undefined, @Body() body: unknown) {
    return this.bolt.addAddress(this.sessions.require(cookie), readAddress(body))
  }

  @Post('logout')
  @HttpCode(204)
  async logout(
    @Headers('cookie') cookie: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    const sessionId = this.sessions.get(cookie)
    if (sessionId !== undefined) {
      await this.tokens.logout(sessionId)
      response.append('set-cookie', this.sessions.destroy(sessionId))
    }
  }
}
