/**
 * The Hono example's routes (../hono/app.ts) for workerd: the same routes, the same shared
 * request readers, Account API client and error handler, with the Web Crypto session helper
 * instead of the `node:crypto` one, so that nothing here needs Node APIs.
 */
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { type AppOptions, logToStderr } from '../shared/app-options.js'
import { createBoltAccountApi } from '../shared/bolt-account-api.js'
import { handleError } from '../shared/http-errors.js'
import { readAddress, readLoginCallback } from '../shared/requests.js'
import { createWebSessions } from './sessions.js'

/** The JSON body, or `undefined` when it is not JSON (the readers then answer 400). */
const jsonBody = (request: Request): Promise<unknown> => request.json().catch(() => undefined)

/** The Hono app: login-modal callback, Account API routes, logout and the error handler. */
export function createApp(options: AppOptions): Hono {
  const { tokens, sessions = createWebSessions(), log = logToStderr } = options
  const bolt = createBoltAccountApi(options.boltBaseUrl)
  const app = new Hono()

  // The page calls this before opening Bolt's login modal with the returned `state`.
  app.get('/bolt/login-state', (c) => {
    const session = sessions.start(c.req.header('cookie'))
    if (session.setCookie !== undefined) c.header('set-cookie', session.setCookie)
    return c.json({ state: sessions.newLoginState(session.id) })
  })

  // The login modal's callback: the frontend posts the `code` and `state` Bolt gave it.
  app.post('/bolt/login-callback', async (c) => {
    const sessionId = sessions.require(c.req.header('cookie'))
    const { code, state } = readLoginCallback(await jsonBody(c.req.raw))
    const status = await tokens.exchangeCode(sessionId, {
      code,
      state,
      // The state issued to this session, used once. '' if none: it matches no state.
      expectedState: sessions.takeLoginState(sessionId) ?? '',
    })
    return c.json(status)
  })

  // Viewing the account: any valid token will do (refreshed when expired).
  app.get('/account', async (c) => {
    const sessionId = sessions.require(c.req.header('cookie'))
    const accessToken = await tokens.getAccessToken(sessionId)
    return c.json(await bolt.getAccount(accessToken))
  })

  // Changing the account needs bolt.account.manage: SCOPE_REQUIRED on a view-only session.
  app.post('/account/addresses', async (c) => {
    const sessionId = sessions.require(c.req.header('cookie'))
    const address = readAddress(await jsonBody(c.req.raw))
    const accessToken = await tokens.getAccessToken(sessionId, { scope: 'bolt.account.manage' })
    return c.json(await bolt.addAddress(accessToken, address))
  })

  app.post('/logout', async (c) => {
    const sessionId = sessions.get(c.req.header('cookie'))
    if (sessionId !== undefined) {
      await tokens.logout(sessionId)
      c.header('set-cookie', sessions.destroy(sessionId))
    }
    return c.body(null, 204)
  })

  // SCOPE_REQUIRED → 403 "show the login modal"; NOT_AUTHENTICATED → 401; see ../shared/http-errors.ts.
  app.onError((error, c) => {
    const { status, body, headers } = handleError(
      error,
      { method: c.req.method, url: c.req.path },
      log,
    )
    return c.json(body, status as ContentfulStatusCode, headers)
  })
  return app
}
