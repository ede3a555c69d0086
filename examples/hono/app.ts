/**
 * A merchant backend on Hono 4 (on Node via @hono/node-server) that logs a Bolt shopper in
 * with the login modal and calls Bolt's Account API on their behalf.
 * Run it: `npx tsx examples/hono/server.ts`.
 */
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { type AppOptions, logToStderr } from '../shared/app-options.js'
import { createBoltAccountApi } from '../shared/bolt-account-api.js'
import { handleError } from '../shared/http-errors.js'
import { readAddress, readLoginCallback } from '../shared/requests.js'
import { createSessions } from '../shared/sessions.js'

/** The JSON body, or `undefined` when it is not JSON (the readers then answer 400). */
const jsonBody = (request: Request): Promise<unknown> => request.json().catch(() => undefined)

export function createApp(options: AppOptions): Hono {
  const { tokens, sessions = createSessions(), log = logToStderr } = options
  const bolt = createBoltAccountApi(tokens, options.boltBaseUrl)
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
    return c.json(status) // { state: 'fullyScoped', scopes, expiresAt, canManage: true, lastError: null }
  })

  // Viewing the account: any valid token will do (refreshed when expired).
  app.get('/account', async (c) => {
    const sessionId = sessions.require(c.req.header('cookie'))
    return c.json(await bolt.getAccount(sessionId))
  })

  // Changing the account needs bolt.account.manage: SCOPE_REQUIRED on a view-only session.
  app.post('/account/addresses', async (c) => {
    const sessionId = sessions.require(c.req.header('cookie'))
    const address = readAddress(await jsonBody(c.req.raw))
    return c.json(await bolt.addAddress(sessionId, address))
  })

  app.post('/logout', async (c) => {
    const sessionId = sessions.get(c.req.header('cookie'))
    if (sessionId !== undefined) {
      await tokens.logout(sessionId)
      c.header('set-cookie', sessions.destroy(sessionId))
    }
    return c.body(null, 204)
  })

  // Readiness probe: the session store and Bolt's token endpoint answer (no grant is spent).
  app.get('/healthz', async (c) => {
    const report = await tokens.checkHealth()
    c.header('cache-control', 'no-store')
    return c.json(report, report.ok ? 200 : 503)
  })

  // Every error a handler throws lands here.
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
