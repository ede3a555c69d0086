/**
 * The Next.js App Router example (examples/nextjs) as a merchant runs it: `next build`, then
 * `next start` on a free loopback port against a real Bolt emulator and real Redis, driven over
 * HTTP with a cookie jar: route handlers, the proxy, the server-rendered page and its server
 * action (posted as a browser without JavaScript posts a form). The server follows the
 * emulator's clock over HTTP (`BOLT_EMULATOR_URL`), so `advanceClock` makes an hour pass there.
 */
import { readFileSync } from 'node:fs'
import { EMULATOR_DEFAULTS, faults } from 'bolt-token-lifecycle/emulator'
import { deriveStoreKey } from 'bolt-token-lifecycle/testing'
import { expect, it } from 'vitest'
import { DEFAULT_RETRY_AFTER_SECONDS } from '../../examples/shared/http-errors.js'
import type { BrowserAnswer } from '../support/cookie-browser.js'
import { createTestRedis, describeRedis, rawSession } from '../support/redis.js'
import { SHOPPER_ADDRESS } from '../support/shopper-address.js'
import { type Browser, useNextExample } from './nextjs-fixture.js'
import { readPage } from './nextjs-page.js'

const ADDRESS = SHOPPER_ADDRESS
const FORM_ADDRESS = { ...ADDRESS, street_address1: '2 Mission St' }
const HOUR_AND_A_MINUTE = 61 * 60_000
const IDENTITY = 'Alan Watts, shopper@example.com (verified)'
const STEP_UP = expect.stringMatching(
  /^Log in with Bolt again to change your account\. \(.*view-only/,
)

it('keeps the proxy free of tokens: it imports next/server alone', () => {
  const proxy = readFileSync(new URL('../../examples/nextjs/proxy.ts', import.meta.url), 'utf8')
  expect([...proxy.matchAll(/^import .* from '([^']+)'$/gm)].map(([, from]) => from)).toEqual([
    'next/server',
  ])
})

describeRedis('examples/nextjs under next build and next start', () => {
  const example = useNextExample()
  const { browse, loginState, loginModal, logIn, load, untilServerSeesExpiry, refreshRequests } =
    example
  const submitAddress = (browser: Browser, page: BrowserAnswer) =>
    example.submit(browser, page, FORM_ADDRESS)

  /**
   * The proxy sent the page to /login: a 307 whose body is the URL alone. (The page's own
   * `redirect('/login')` answers a 307 too, but with an HTML body: the page rendered.)
   */
  function expectProxyRedirect(answer: BrowserAnswer): void {
    expect(answer.status).toBe(307)
    expect(answer.headers.get('location')).toBe('/login')
    expect(answer.text).toBe('/login')
  }

  it("answers /healthz with checkHealth's report, outside the proxy, and spends no grant", async () => {
    const before = example.bolt.stats.tokenRequests
    const exchanges = example.bolt.stats.codeExchanges
    const healthy = await browse().get('/healthz')
    expect(healthy.status).toBe(200)
    expect(healthy.headers.get('cache-control')).toBe('no-store')
    expect(healthy.json).toEqual({
      ok: true,
      store: { ok: true, latencyMs: expect.any(Number) },
      bolt: { ok: true, latencyMs: expect.any(Number), status: 403 },
    })
    expect(example.bolt.stats.tokenRequests).toBe(before + 1)
    expect(example.bolt.stats.codeExchanges).toBe(exchanges)
  })

  it('sends a shopper without a session from the proxy to /login', async () => {
    const answer = await load(browse())
    expectProxyRedirect(answer)
    const login = await load(browse(), '/login')
    expect(login.status).toBe(200)
    expect(login.text).toContain('<h1>Log in with Bolt</h1>')
  })

  it('runs the flow: login, read, write, an hour passes, view-only, step-up, logout', async () => {
    const printed = example.app.output.length
    const browser = browse()
    const state = await loginState(browser)
    expect(browser.jar.has('sid')).toBe(true)
    const session = browser.jar.get('sid') ?? ''
    const login = await browser.post('/bolt/login-callback', { code: loginModal(state), state })
    expect(login.status).toBe(200)
    expect(login.json).toEqual({
      state: 'fullyScoped',
      scopes: ['bolt.account.manage', 'openid'],
      expiresAt: expect.any(Number),
      canManage: true,
      lastError: null,
    })

    // Read: the route handler, and the server component with the verified identity.
    const account = await browser.get('/account')
    expect(account.status).toBe(200)
    expect(account.json).toMatchObject({
      profile: { email: 'shopper@example.com' },
      addresses: [],
      has_bolt_account: true,
    })
    const page = await load(browser)
    expect(page.status).toBe(200)
    expect(readPage(page.text)).toEqual({
      identity: IDENTITY,
      canManage: true,
      addresses: [],
      formMessage: null,
    })

    // Write: the route handler, then the server action.
    const added = await browser.post('/account/addresses', ADDRESS)
    expect(added.status).toBe(200)
    expect(added.json).toMatchObject({ id: expect.any(String), street_address1: '1 Market St' })
    const submitted = await submitAddress(browser, page)
    expect(submitted.status).toBe(200)
    expect(readPage(submitted.text)).toEqual({
      identity: IDENTITY,
      canManage: true,
      addresses: ['1 Market St, San Francisco', '2 Mission St, San Francisco'],
      formMessage: 'Address added: 2 Mission St',
    })
    expect(example.bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 0, accountWrites: 2 })

    // An hour passes: the next read refreshes once, and the session is view-only.
    example.bolt.advanceClock(HOUR_AND_A_MINUTE)
    await untilServerSeesExpiry(browser)
    const reread = await browser.get('/account')
    expect(reread.status).toBe(200)
    expect((reread.json as { addresses: unknown[] }).addresses).toHaveLength(2)
    expect(example.bolt.stats.refreshes).toBe(1)
    const status = await browser.get('/bolt/status')
    expect(status.json).toMatchObject({ state: 'viewOnly', canManage: false })

    // Write: SCOPE_REQUIRED, from the route handler and as the server action's step-up prompt.
    const refused = await browser.post('/account/addresses', ADDRESS)
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual({
      error: 'SCOPE_REQUIRED',
      action: 'show_login_modal',
      message: expect.stringContaining('view-only'),
    })
    const viewOnlyPage = await load(browser)
    expect(readPage(viewOnlyPage.text)).toMatchObject({ canManage: false, formMessage: null })
    const prompted = await submitAddress(browser, viewOnlyPage)
    expect(prompted.status).toBe(200)
    expect(readPage(prompted.text)).toEqual({
      identity: IDENTITY,
      canManage: false,
      addresses: ['1 Market St, San Francisco', '2 Mission St, San Francisco'],
      formMessage: STEP_UP,
    })
    expect(example.bolt.stats).toMatchObject({ refreshes: 1, accountWrites: 2 })

    // A forged state is refused before any token request.
    const issued = await loginState(browser)
    const tokenRequests = example.bolt.stats.tokenRequests
    const forged = await browser.post('/bolt/login-callback', {
      code: loginModal(issued),
      state: 'forged-state-from-another-site',
    })
    expect(forged.status).toBe(400)
    expect(forged.json).toEqual({ error: 'STATE_MISMATCH', action: 'show_login_modal' })
    expect(example.bolt.stats.tokenRequests).toBe(tokenRequests)

    // The step-up login: the server action and the route handler write again.
    const stepUp = await logIn(browser)
    expect(stepUp.json).toMatchObject({ scopes: ['bolt.account.manage', 'openid'] })
    const steppedUp = await submitAddress(browser, await load(browser))
    expect(readPage(steppedUp.text)).toMatchObject({
      canManage: true,
      formMessage: 'Address added: 2 Mission St',
    })
    expect((await browser.post('/account/addresses', ADDRESS)).status).toBe(200)
    expect(example.bolt.stats).toMatchObject({ codeExchanges: 2, refreshes: 1, accountWrites: 4 })

    // Logout: the cookie is cleared, the session ends in Redis, the proxy sends the page away.
    const logout = await browser.post('/logout')
    expect(logout.status).toBe(204)
    expect(logout.text).toBe('')
    expect(logout.setCookie).toEqual(['sid=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0'])
    expect(browser.jar.has('sid')).toBe(false)
    const stored = await rawSession(
      createTestRedis(),
      `${example.prefix}{${deriveStoreKey(EMULATOR_DEFAULTS.clientSecret, session)}}`,
    )
    expect(JSON.parse(stored?.value ?? '{}')).toMatchObject({ value: 'unauthenticated' })
    browser.jar.set('sid', session) // the old cookie, replayed
    expectProxyRedirect(await load(browser))
    const replayed = await browser.get('/account')
    expect(replayed.status).toBe(401)
    expect(replayed.json).toEqual({ error: 'NOT_AUTHENTICATED', action: 'show_login_modal' })
    expect(example.app.output.slice(printed)).toEqual([]) // no 5xx, nothing logged
  })

  it('refreshes once when the proxy, server components and route handlers ask at the same moment', async () => {
    const browser = browse()
    await logIn(browser)
    expect(readPage((await load(browser)).text)).toMatchObject({ canManage: true })
    example.bolt.advanceClock(HOUR_AND_A_MINUTE)
    await untilServerSeesExpiry(browser)

    // Bolt takes 300 ms to answer the refresh: every request below arrives while it is in flight.
    example.bolt.injectFault({ type: 'delay', ms: 300 })
    const since = example.bolt.requests.length
    const [pages, checks, reads] = await Promise.all([
      Promise.all([1, 2, 3, 4].map(() => load(browser))), // the proxy, then the server component
      Promise.all([1, 2].map(() => browser.get('/bolt/session-check'))),
      Promise.all([1, 2].map(() => browser.get('/account'))),
    ])
    for (const page of pages) {
      expect(page.status).toBe(200)
      expect(readPage(page.text)).toMatchObject({ identity: IDENTITY, canManage: false })
    }
    for (const check of checks) {
      expect(check.status).toBe(200)
      expect(check.json).toEqual({ state: 'viewOnly', canManage: false })
    }
    for (const read of reads) expect(read.status).toBe(200)
    expect(refreshRequests(since)).toEqual([expect.objectContaining({ status: 200 })])
    expect(example.bolt.stats).toMatchObject({ reuseDetected: 0, invalidGrants: 0 })
    expect((await browser.get('/account')).status).toBe(200) // still logged in
  })

  it('sends the shopper to /login from the proxy when Bolt refuses the refresh', async () => {
    const browser = browse()
    await logIn(browser)
    example.bolt.advanceClock(HOUR_AND_A_MINUTE)
    await untilServerSeesExpiry(browser)
    example.bolt.injectFault({
      type: 'respond',
      status: 422,
      body: JSON.stringify({ error: 'invalid_grant', error_description: 'Revoked.' }),
    })
    const since = example.bolt.requests.length
    expectProxyRedirect(await load(browser))
    expect(refreshRequests(since)).toEqual([expect.objectContaining({ status: 422 })])
    const ended = await browser.get('/account')
    expect(ended.status).toBe(401)
    expect(ended.json).toEqual({ error: 'NOT_AUTHENTICATED', action: 'show_login_modal' })
  })

  it('answers 503 with Retry-After when Bolt’s Account API is down, and logs it without secrets', async () => {
    const browser = browse()
    await logIn(browser)
    const printed = example.app.output.length
    example.bolt.injectFault(faults.html(502), { route: 'account', times: 2 })
    const down = await browser.get('/account')
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe(String(DEFAULT_RETRY_AFTER_SECONDS))
    expect(down.json).toEqual({ error: 'TEMPORARILY_UNAVAILABLE', action: 'retry_later' })
    // The route handler logs one JSON line (the shared handler's); the page's error, Next.js's
    // own report of what the server component threw.
    const page = await load(browser)
    expect(page.status).toBe(500)
    const printedNow = example.app.output.slice(printed)
    expect(
      printedNow.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line)),
    ).toEqual([
      {
        method: 'GET',
        path: '/account',
        status: 503,
        error: expect.objectContaining({ code: 'ACCOUNT_API_ERROR', status: 502 }),
      },
    ])
    // Next.js prints the error under its minified class name, which changes from build to build.
    expect(
      printedNow.filter((line) =>
        /^⨯ \S+ \[BoltTokenError\]: Bolt's Account API answered GET \/v1\/account with 502\.$/.test(
          line,
        ),
      ),
    ).toHaveLength(1)
    expect((await browser.get('/account')).status).toBe(200)
  })
})
