/**
 * The Express, Fastify, Hono and NestJS examples, each started on a free loopback port against a
 * real Bolt emulator, driven over HTTP with `fetch` and a cookie jar: the whole login-modal
 * flow, the error → HTTP mapping, and no token, code or secret in any answer or log line.
 */
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import {
  BOLT_PRODUCTION_URL,
  BOLT_SANDBOX_URL,
  createTokenManager,
  type HttpTransport,
  type TokenManager,
  type TokenManagerOptions,
} from 'bolt-token-lifecycle'
import { type BoltEmulator, emulatorManagerOptions, faults } from 'bolt-token-lifecycle/emulator'
import { createFetchTransport } from 'bolt-token-lifecycle/fetch'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp as createExpressApp } from '../../examples/express/app.js'
import { startServer as startExpressServer } from '../../examples/express/server.js'
import { createApp as createFastifyApp } from '../../examples/fastify/app.js'
import { startServer as startFastifyServer } from '../../examples/fastify/server.js'
import { createApp as createHonoApp } from '../../examples/hono/app.js'
import { startServer as startHonoServer } from '../../examples/hono/server.js'
import { createApp as createNestApp } from '../../examples/nestjs/app.js'
import { startServer as startNestServer } from '../../examples/nestjs/server.js'
import type { AppOptions } from '../../examples/shared/app-options.js'
import { connectBolt } from '../../examples/shared/connect-bolt.js'
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  type ErrorLogEntry,
} from '../../examples/shared/http-errors.js'
import { type BrowserAnswer, createBrowser } from '../support/cookie-browser.js'
import { startEmulator } from '../support/harness.js'
import { SHOPPER_ADDRESS } from '../support/shopper-address.js'

interface Running {
  url: string
  close(): Promise<void>
}

interface Framework {
  name: string
  /** Starts the example app on a free loopback port. */
  listen(options: AppOptions): Promise<Running>
  /** The example's `server.ts`. */
  startServer(options: { port: number; env: NodeJS.ProcessEnv }): Promise<Running>
}

async function listenNode(server: import('node:http').Server): Promise<Running> {
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve))
      server.closeAllConnections()
      await closed
    },
  }
}

const frameworks: Framework[] = [
  {
    name: 'express',
    listen: (options) => listenNode(createExpressApp(options).listen(0, '127.0.0.1')),
    startServer: startExpressServer,
  },
  {
    name: 'fastify',
    async listen(options) {
      const app = createFastifyApp(options)
      const url = await app.listen({ port: 0, host: '127.0.0.1' })
      return { url, close: () => app.close() }
    },
    startServer: startFastifyServer,
  },
  {
    name: 'hono',
    listen: (options) =>
      listenNode(
        serve({
          fetch: createHonoApp(options).fetch,
          port: 0,
          hostname: '127.0.0.1',
        }) as import('node:http').Server,
      ),
    startServer: startHonoServer,
  },
  {
    name: 'nestjs',
    async listen(options) {
      const app = await createNestApp(options, { logger: false })
      await app.listen(0, '127.0.0.1')
      return { url: await app.getUrl(), close: () => app.close() }
    },
    startServer: (options) => startNestServer({ ...options, logger: false }),
  },
]

/** The fetch transport, noting every token Bolt issues so that tests can look for leaks. */
function recordingTransport(issued: Set<string>): HttpTransport {
  const transport = createFetchTransport()
  return {
    async send(request) {
      const response = await transport.send(request)
      let json: unknown
      try {
        json = JSON.parse(response.body)
      } catch {
        json = undefined
      }
      if (typeof json === 'object' && json !== null) {
        for (const field of ['access_token', 'refresh_token', 'id_token']) {
          const value = (json as Record<string, unknown>)[field]
          if (typeof value === 'string') issued.add(value)
        }
      }
      return response
    },
  }
}

const ADDRESS = SHOPPER_ADDRESS
const HOUR_AND_A_MINUTE = 61 * 60_000
const showLoginModal = 'show_login_modal'

/** The app asks the page for a new login: `status`, and a body of exactly `{ error, action }`. */
function expectShowLoginModal(answer: BrowserAnswer, status: number, error: string): void {
  expect(answer.status).toBe(status)
  expect(answer.json).toEqual({ error, action: showLoginModal })
}

/** The app asks the page to retry later: 503, this `Retry-After`, and the retry_later body. */
function expectRetryLater(answer: BrowserAnswer, retryAfter: string): void {
  expect(answer.status).toBe(503)
  expect(answer.headers.get('retry-after')).toBe(retryAfter)
  expect(answer.json).toEqual({ error: 'TEMPORARILY_UNAVAILABLE', action: 'retry_later' })
}

describe.each(frameworks)('the $name example', (framework) => {
  let bolt: BoltEmulator
  let tokens: TokenManager
  let app: Running
  /** Every secret: the client secret, every code the login modal gave, every token Bolt issued. */
  let issued: Set<string>
  /** Every random value the app legitimately answers (login states, session ids). */
  let randomValues: Set<string>
  let seen: string[]
  let logs: ErrorLogEntry[]

  async function startApp(overrides: Partial<TokenManagerOptions> = {}): Promise<Running> {
    tokens = createTokenManager({
      ...emulatorManagerOptions(bolt), // its keys, its URL and its clock
      http: recordingTransport(issued),
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      ...overrides,
    })
    return framework.listen({ tokens, boltBaseUrl: bolt.url, log: (entry) => logs.push(entry) })
  }

  beforeEach(async () => {
    bolt = await startEmulator()
    issued = new Set([bolt.clientSecret])
    randomValues = new Set()
    seen = []
    logs = []
    app = await startApp()
  })

  afterEach(async () => {
    await app.close()
    const everything = [...seen, ...logs.map((entry) => JSON.stringify(entry))]
    for (const text of everything) {
      for (const secret of issued) expect(text).not.toContain(secret)
      let scrubbed = text
      for (const value of randomValues) scrubbed = scrubbed.replaceAll(value, '')
      expect(scrubbed).not.toMatch(/(?<![\w-])(?:at|rt|code)_[\w-]{20,}/)
    }
  })

  /** What the page does before opening the login modal. */
  async function loginState(browser: ReturnType<typeof createBrowser>): Promise<string> {
    const answer = await browser.get('/bolt/login-state')
    expect(answer.status).toBe(200)
    const { state } = answer.json as { state: string }
    expect(state).toMatch(/^[\w-]{43}$/)
    randomValues.add(state)
    for (const value of browser.jar.values()) randomValues.add(value)
    return state
  }

  /** The Bolt login modal: the shopper logs in, the page gets a code for this state. */
  function loginModal(state: string): string {
    const { code } = bolt.login({ state })
    issued.add(code)
    return code
  }

  /** The whole login: state, modal, callback. */
  async function logIn(browser: ReturnType<typeof createBrowser>): Promise<void> {
    const state = await loginState(browser)
    const answer = await browser.post('/bolt/login-callback', { code: loginModal(state), state })
    expect(answer.status).toBe(200)
  }

  /** Exactly one error was logged: `method path`, answered `status`, its error like `error`. */
  function expectOneErrorLogged(
    method: string,
    path: string,
    status: number,
    error: Record<string, unknown>,
  ): void {
    expect(logs).toEqual([{ method, path, status, error: expect.objectContaining(error) }])
  }

  function sessionId(browser: ReturnType<typeof createBrowser>): string {
    const id = browser.jar.get('sid')
    if (id === undefined) throw new Error('no session cookie')
    return id
  }

  it('runs the login-modal flow: login, view, manage, refresh, step-up, logout, outage', async () => {
    const browser = createBrowser(app.url, seen)

    // The page asks for a state; the answer sets the session cookie.
    const state = await loginState(browser)
    expect(browser.jar.has('sid')).toBe(true)

    // The login modal gives the page a code; the page posts it to the callback.
    const code = loginModal(state)
    const before = bolt.now()
    const login = await browser.post('/bolt/login-callback', { code, state })
    expect(login.status).toBe(200)
    expect(login.json).toEqual({
      state: 'fullyScoped',
      scopes: ['bolt.account.manage', 'openid'],
      expiresAt: expect.any(Number),
      canManage: true,
      lastError: null,
    })
    const { expiresAt } = login.json as { expiresAt: number }
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(expiresAt).toBeLessThanOrEqual(bolt.now() + 3_600_000)

    // Fully scoped: view and manage.
    const account = await browser.get('/account')
    expect(account.status).toBe(200)
    expect(account.json).toMatchObject({
      profile: { email: 'shopper@example.com' },
      addresses: [],
      has_bolt_account: true,
    })
    const added = await browser.post('/account/addresses', ADDRESS)
    expect(added.status).toBe(200)
    // Bolt reads an address back with an id, and `email` as `email_address`.
    expect(added.json).toMatchObject({
      id: expect.any(String),
      street_address1: ADDRESS.street_address1,
      postal_code: ADDRESS.postal_code,
      email_address: ADDRESS.email,
    })
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 0, accountWrites: 1 })

    // An hour passes: the next request refreshes, and the session is view-only.
    bolt.advanceClock(HOUR_AND_A_MINUTE)
    const refreshed = await browser.get('/account')
    expect(refreshed.status).toBe(200)
    expect(refreshed.json).toMatchObject({
      profile: { email: 'shopper@example.com' },
      addresses: [added.json],
    })
    expect(bolt.stats.refreshes).toBe(1)
    expect((await tokens.getStatus(sessionId(browser))).state).toBe('viewOnly')

    // Managing now needs a new login: the page shows the modal.
    const refused = await browser.post('/account/addresses', ADDRESS)
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual({
      error: 'SCOPE_REQUIRED',
      action: showLoginModal,
      message: expect.stringContaining('view-only'),
    })
    expect(bolt.stats.accountWrites).toBe(1)

    // A forged state is refused before any token request (and uses up the issued state).
    const issuedState = await loginState(browser)
    const tokenRequests = bolt.stats.tokenRequests
    const forged = await browser.post('/bolt/login-callback', {
      code: loginModal(issuedState),
      state: 'forged-state-from-another-site',
    })
    expectShowLoginModal(forged, 400, 'STATE_MISMATCH')
    expect(bolt.stats.tokenRequests).toBe(tokenRequests)

    // The step-up login: fully scoped again, and the write goes through.
    const stepUpState = await loginState(browser)
    const stepUp = await browser.post('/bolt/login-callback', {
      code: loginModal(stepUpState),
      state: stepUpState,
    })
    expect(stepUp.status).toBe(200)
    expect(stepUp.json).toMatchObject({ state: 'fullyScoped', canManage: true })
    const addedAgain = await browser.post('/account/addresses', ADDRESS)
    expect(addedAgain.status).toBe(200)
    expect(bolt.stats).toMatchObject({ codeExchanges: 2, refreshes: 1, accountWrites: 2 })

    // Logout: the tokens are forgotten and the cookie cleared.
    const oldSession = sessionId(browser)
    const logout = await browser.post('/logout')
    expect(logout.status).toBe(204)
    expect(logout.text).toBe('')
    expect(browser.jar.has('sid')).toBe(false)
    expect((await tokens.getStatus(oldSession)).state).toBe('unauthenticated')
    const afterLogout = await browser.get('/account')
    expectShowLoginModal(afterLogout, 401, 'NOT_AUTHENTICATED')
    browser.jar.set('sid', oldSession) // the old cookie, replayed
    expect((await browser.get('/account')).status).toBe(401)
    browser.jar.delete('sid')

    // Bolt's gateway fails the next refresh: 503 with Retry-After; the session is kept.
    await logIn(browser)
    bolt.advanceClock(HOUR_AND_A_MINUTE)
    bolt.injectFault(faults.html(502), { times: 3 }) // every attempt of the refresh
    const outage = await browser.get('/account')
    expectRetryLater(outage, String(DEFAULT_RETRY_AFTER_SECONDS))
    expectOneErrorLogged('GET', '/account', 503, { code: 'SERVER_ERROR', status: 502 })
    const recovered = await browser.get('/account')
    expect(recovered.status).toBe(200)
    expect(bolt.stats.refreshes).toBe(2)

    // The leak check after each test knows every token Bolt issued.
    expect([...issued].filter((value) => /^(at|rt)_/.test(value))).toHaveLength(10)
  })

  it('passes on Bolt’s Retry-After when rate limited', async () => {
    const browser = createBrowser(app.url, seen)
    await logIn(browser)
    bolt.advanceClock(HOUR_AND_A_MINUTE)
    bolt.injectFault(faults.rateLimited('30'))
    const limited = await browser.get('/account')
    expectRetryLater(limited, '30')
  })

  it('answers 503 with Retry-After when Bolt’s Account API is down', async () => {
    const browser = createBrowser(app.url, seen)
    await logIn(browser)
    bolt.injectFault(faults.html(502), { route: 'account' })
    const down = await browser.get('/account')
    expectRetryLater(down, String(DEFAULT_RETRY_AFTER_SECONDS))
    expectOneErrorLogged('GET', '/account', 503, { code: 'ACCOUNT_API_ERROR', status: 502 })
    expect((await browser.get('/account')).status).toBe(200)
  })

  it('sends Bolt a code once when the callback is submitted twice at once', async () => {
    const browser = createBrowser(app.url, seen)
    const state = await loginState(browser)
    const body = { code: loginModal(state), state }
    const answers = await Promise.all([
      browser.post('/bolt/login-callback', body),
      browser.post('/bolt/login-callback', body),
    ])
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400])
    expect(bolt.stats).toMatchObject({ tokenRequests: 1, codeExchanges: 1 })
    expect((await browser.get('/account')).status).toBe(200)
  })

  it('asks for a new login when Bolt revoked the session', async () => {
    const browser = createBrowser(app.url, seen)
    await logIn(browser)
    bolt.revokeSession(await tokens.getAccessToken(sessionId(browser)))
    bolt.advanceClock(HOUR_AND_A_MINUTE)
    const revoked = await browser.get('/account')
    expectShowLoginModal(revoked, 401, 'INVALID_GRANT')
    const next = await browser.get('/account')
    expectShowLoginModal(next, 401, 'NOT_AUTHENTICATED')
  })

  it('refuses logins without the state this session was issued', async () => {
    const browser = createBrowser(app.url, seen)
    const tokenRequests = bolt.stats.tokenRequests

    // No session at all.
    const noSession = await browser.post('/bolt/login-callback', { code: 'code_x', state: 'x' })
    expectShowLoginModal(noSession, 401, 'NOT_AUTHENTICATED')

    // A callback without a state.
    const state = await loginState(browser)
    const code = loginModal(state)
    const stateless = await browser.post('/bolt/login-callback', { code })
    expect(stateless.status).toBe(400)
    expect(stateless.json).toEqual({ error: 'BAD_REQUEST', message: expect.any(String) })
    expect(bolt.stats.tokenRequests).toBe(tokenRequests)

    // A state is single-use: replaying a successful callback is refused without calling Bolt.
    const login = await browser.post('/bolt/login-callback', { code, state })
    expect(login.status).toBe(200)
    const replay = await browser.post('/bolt/login-callback', { code, state })
    expectShowLoginModal(replay, 400, 'STATE_MISMATCH')
    expect(bolt.stats.tokenRequests).toBe(tokenRequests + 1)

    // A spent code with a fresh state: Bolt refuses it and revokes the tokens issued for it
    // (RFC 6749 §4.1.2), so the Account API refuses them too. A new login starts over.
    const fresh = await loginState(browser)
    const spent = await browser.post('/bolt/login-callback', { code, state: fresh })
    expectShowLoginModal(spent, 401, 'INVALID_GRANT')
    // The Account API refuses the revoked token (401); the one refresh that follows is refused
    // too: the session has ended.
    const revoked = await browser.get('/account')
    expectShowLoginModal(revoked, 401, 'INVALID_GRANT')
    const ended = await browser.get('/account')
    expectShowLoginModal(ended, 401, 'NOT_AUTHENTICATED')
    await logIn(browser)
    expect((await browser.get('/account')).status).toBe(200)
  })

  it('answers 400 to bodies it cannot use, without calling Bolt', async () => {
    const browser = createBrowser(app.url, seen)
    await loginState(browser)
    const tokenRequests = bolt.stats.tokenRequests
    const notJson = await browser.postRaw('/bolt/login-callback', '{"code": ')
    expect(notJson.status).toBe(400)
    expect(notJson.json).toMatchObject({ error: 'BAD_REQUEST' })
    const array = await browser.post('/bolt/login-callback', ['code_x', 'state'])
    expect(array.status).toBe(400)
    expect(array.json).toMatchObject({ error: 'BAD_REQUEST' })
    expect(bolt.stats.tokenRequests).toBe(tokenRequests)

    await logIn(browser)
    const notAnAddress = await browser.post('/account/addresses', ['1 Market St'])
    expect(notAnAddress.status).toBe(400)
    expect(notAnAddress.json).toEqual({ error: 'BAD_REQUEST', message: expect.any(String) })
    const incomplete = await browser.post('/account/addresses', { street_address1: '1 Market St' })
    expect(incomplete.status).toBe(400)
    // Bolt's 422 (ACCOUNT_API_ERROR): its message, with secrets removed, for the developer.
    expect(incomplete.json).toEqual({
      error: 'BAD_REQUEST',
      message: expect.stringMatching(/^Missing address fields: .*locality/),
    })
    expect(logs).toEqual([])
  })

  it('answers 500 without echoing the secret when the keys are wrong', async () => {
    await app.close()
    const wrongSecret = 'sk_wrong_secret_0123456789abcdef'
    issued.add(wrongSecret)
    app = await startApp({ clientSecret: wrongSecret })
    const browser = createBrowser(app.url, seen)
    const state = await loginState(browser)
    const answer = await browser.post('/bolt/login-callback', { code: loginModal(state), state })
    expect(answer.status).toBe(500)
    expect(answer.json).toEqual({ error: 'INTERNAL_ERROR' })
    expectOneErrorLogged('POST', '/bolt/login-callback', 500, { code: 'INVALID_CLIENT' })
  })

  it('answers /healthz: 200 with the report while the store and Bolt answer, 503 once Bolt is down; no grant spent', async () => {
    const browser = createBrowser(app.url, seen)
    const healthy = await browser.get('/healthz')
    expect(healthy.status).toBe(200)
    expect(healthy.headers.get('cache-control')).toBe('no-store')
    expect(healthy.json).toEqual({
      ok: true,
      store: { ok: true, latencyMs: expect.any(Number) },
      bolt: { ok: true, latencyMs: expect.any(Number), status: 403 },
    })
    expect(bolt.stats).toMatchObject({ tokenRequests: 1, codeExchanges: 0, refreshes: 0 })

    await bolt.close()
    const down = await browser.get('/healthz')
    expect(down.status).toBe(503)
    expect(down.json).toEqual({
      ok: false,
      store: { ok: true, latencyMs: expect.any(Number) },
      bolt: { ok: false, latencyMs: expect.any(Number), error: 'NETWORK_ERROR' },
    })
    expect(logs).toEqual([])
  })

  it('has a server.ts that starts against the emulator and answers', async () => {
    const server = await framework.startServer({ port: 0, env: {} }) // no keys: the emulator
    try {
      const answer = await fetch(`${server.url}/bolt/login-state`)
      expect(answer.status).toBe(200)
      expect(await answer.json()).toEqual({ state: expect.stringMatching(/^[\w-]{43}$/) })
      expect(answer.headers.get('set-cookie')).toMatch(
        /^sid=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
      )
    } finally {
      await server.close()
    }
  })
})

describe('connectBolt, which the examples’ server.ts use', () => {
  it('starts the emulator when no keys are set', async () => {
    const bolt = await connectBolt({})
    try {
      expect(bolt.emulator).toBeDefined()
      expect(bolt.baseUrl).toBe(bolt.emulator?.url)
    } finally {
      await bolt.close()
    }
  })

  it('uses Bolt’s sandbox with your keys, production when asked', async () => {
    const keys = { BOLT_PUBLISHABLE_KEY: 'pk_test', BOLT_API_KEY: 'sk_test' }
    const sandbox = await connectBolt(keys)
    expect(sandbox.baseUrl).toBe(BOLT_SANDBOX_URL)
    expect(sandbox.emulator).toBeUndefined()
    const production = await connectBolt({ ...keys, BOLT_ENVIRONMENT: 'production' })
    expect(production.baseUrl).toBe(BOLT_PRODUCTION_URL)
    await expect(connectBolt({ BOLT_API_KEY: 'sk_test' })).rejects.toThrow('BOLT_PUBLISHABLE_KEY')
  })
})

describe('the guides', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const guides = [
    'docs/getting-started.md',
    'docs/frameworks.md',
    'docs/errors.md',
    'docs/operations.md',
  ]
  const nonEmptyLines = (text: string) =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')

  it.each(guides)('%s quotes its code blocks from the runnable examples', (guide) => {
    const text = readFileSync(join(root, guide), 'utf8')
    const snippets = [...text.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)\n```/g)]
    expect(snippets.length, 'every ts block names its source').toBe(
      text.match(/```ts\n/g)?.length ?? 0,
    )
    for (const [, file = '', block = ''] of snippets) {
      const source = nonEmptyLines(readFileSync(join(root, file), 'utf8'))
      let from = 0
      // Each run of lines between `// …` markers appears in the file as is, in order.
      for (const part of block.split(/^\s*\/\/ …\s*$/m)) {
        const lines = nonEmptyLines(part)
        if (lines.length === 0) continue
        let at = from
        while (at < source.length && lines.some((line, i) => source[at + i] !== line)) at++
        expect(at < source.length, `${guide}: a block is not in ${file}:\n${part}`).toBe(true)
        from = at + lines.length
      }
    }
  })

  it.each(guides)('%s links to files that exist', (guide) => {
    const text = readFileSync(join(root, guide), 'utf8')
    for (const [, target = ''] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/.test(target)) continue
      expect(existsSync(join(root, dirname(guide), target)), `${guide} → ${target}`).toBe(true)
    }
  })
})
