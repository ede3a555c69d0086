/**
 * A merchant backend on Express 5 that logs a Bolt shopper in with the login modal and calls
 * Bolt's Account API on their behalf. Run it: `npx tsx examples/express/server.ts`.
 */
import express, { type ErrorRequestHandler, type Express } from 'express'
import { type AppOptions, logToStderr } from '../shared/app-options.js'
import { createBoltAccountApi } from '../shared/bolt-account-api.js'
import { handleError } from '../shared/http-errors.js'
import { readAddress, readLoginCallback } from '../shared/requests.js'
import { createSessions } from '../shared/sessions.js'

export function createApp(options: AppOptions): Express {
  const { tokens, sessions = createSessions(), log = logToStderr } = options
  const bolt = createBoltAccountApi(tokens, options.boltBaseUrl)
  const app = express()
  app.disable('x-powered-by')
  app.use(express.json({ limit: '16kb' }))

  // The page calls this before opening Bolt's login modal with the returned `state`.
  app.get('/bolt/login-state', (req, res) => {
    const session = sessions.start(req.headers.cookie)
    if (session.setCookie !== undefined) res.append('set-cookie', session.setCookie)
    res.json({ state: sessions.newLoginState(session.id) })
  })

  // The login modal's callback: the frontend posts the `code` and `state` Bolt gave it.
  app.post('/bolt/login-callback', async (req, res) => {
    const sessionId = sessions.require(req.headers.cookie)
    const { code, state } = readLoginCallback(req.body)
    const status = await tokens.exchangeCode(sessionId, {
      code,
      state,
      // The state issued to this session, used once. '' if none: it matches no state.
      expectedState: sessions.takeLoginState(sessionId) ?? '',
    })
    res.json(status) // { state: 'fullyScoped', scopes, expiresAt, canManage: true, lastError: null }
  })

  // Viewing the account: any valid token will do (refreshed when expired).
  app.get('/account', async (req, res) => {
    const sessionId = sessions.require(req.headers.cookie)
    res.json(await bolt.getAccount(sessionId))
  })

  // Changing the account needs bolt.account.manage: SCOPE_REQUIRED on a view-only session.
  app.post('/account/addresses', async (req, res) => {
    const sessionId = sessions.require(req.headers.cookie)
    const address = readAddress(req.body)
    res.json(await bolt.addAddress(sessionId, address))
  })

  app.post('/logout', async (req, res) => {
    const sessionId = sessions.get(req.headers.cookie)
    if (sessionId !== undefined) {
      await tokens.logout(sessionId)
      res.append('set-cookie', sessions.destroy(sessionId))
    }
    res.status(204).end()
  })

  // Readiness probe: the session store and Bolt's token endpoint answer (no grant is spent).
  app.get('/healthz', async (_req, res) => {
    const report = await tokens.checkHealth()
    res
      .status(report.ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json(report)
  })

  // Express 5 passes rejected promises of async routes here.
  const onError: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error)
    const { status, body, headers } = handleError(
      error,
      { method: req.method, url: req.originalUrl },
      log,
    )
    res.status(status).set(headers).json(body)
  }
  app.use(onError)
  return app
}
