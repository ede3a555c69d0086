/**
 * A merchant backend on Fastify 5 that logs a Bolt shopper in with the login modal and calls
 * Bolt's Account API on their behalf. Run it: `npx tsx examples/fastify/server.ts`.
 */
import { type FastifyInstance, fastify } from 'fastify'
import { type AppOptions, logToStderr } from '../shared/app-options.js'
import { createBoltAccountApi } from '../shared/bolt-account-api.js'
import { handleError } from '../shared/http-errors.js'
import { readAddress, readLoginCallback } from '../shared/requests.js'
import { createSessions } from '../shared/sessions.js'

export function createApp(options: AppOptions): FastifyInstance {
  const { tokens, sessions = createSessions(), log = logToStderr } = options
  const bolt = createBoltAccountApi(tokens, options.boltBaseUrl)
  const app = fastify({ bodyLimit: 16 * 1024 })

  // The page calls this before opening Bolt's login modal with the returned `state`.
  app.get('/bolt/login-state', async (request, reply) => {
    const session = sessions.start(request.headers.cookie)
    if (session.setCookie !== undefined) reply.header('set-cookie', session.setCookie)
    return { state: sessions.newLoginState(session.id) }
  })

  // The login modal's callback: the frontend posts the `code` and `state` Bolt gave it.
  app.post('/bolt/login-callback', async (request) => {
    const sessionId = sessions.require(request.headers.cookie)
    const { code, state } = readLoginCallback(request.body)
    const status = await tokens.exchangeCode(sessionId, {
      code,
      state,
      // The state issued to this session, used once. '' if none: it matches no state.
      expectedState: sessions.takeLoginState(sessionId) ?? '',
    })
    return status // { state: 'fullyScoped', scopes, expiresAt, canManage: true, lastError: null }
  })

  // Viewing the account: any valid token will do (refreshed when expired).
  app.get('/account', async (request) => {
    const sessionId = sessions.require(request.headers.cookie)
    return bolt.getAccount(sessionId)
  })

  // Changing the account needs bolt.account.manage: SCOPE_REQUIRED on a view-only session.
  app.post('/account/addresses', async (request) => {
    const sessionId = sessions.require(request.headers.cookie)
    const address = readAddress(request.body)
    return bolt.addAddress(sessionId, address)
  })

  app.post('/logout', async (request, reply) => {
    const sessionId = sessions.get(request.headers.cookie)
    if (sessionId !== undefined) {
      await tokens.logout(sessionId)
      reply.header('set-cookie', sessions.destroy(sessionId))
    }
    return reply.code(204).send()
  })

  // Readiness probe: the session store and Bolt's token endpoint answer (no grant is spent).
  app.get('/healthz', async (_request, reply) => {
    const report = await tokens.checkHealth()
    return reply
      .code(report.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(report)
  })

  // Every error a route throws (and Fastify's own 4xx, e.g. unparsable JSON) lands here.
  app.setErrorHandler((error, request, reply) => {
    const { status, body, headers } = handleError(error, request, log)
    return reply.code(status).headers(headers).send(body)
  })
  return app
}
