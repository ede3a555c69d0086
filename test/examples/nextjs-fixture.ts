/**
 * The fixture of nextjs.test.ts: the built example under `next start`, an emulator and a Redis
 * prefix for the test file (started in `beforeAll`, stopped in `afterAll`), a leak check after
 * each test, and what a shopper's browser does with the app.
 */
import type { BoltEmulator } from 'bolt-token-lifecycle/emulator'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { type BrowserAnswer, createBrowser } from '../support/cookie-browser.js'
import { startEmulatorForFile } from '../support/harness.js'
import { createTestRedis, randomPrefix, redisUrl } from '../support/redis.js'
import { buildNextExample, type NextServer, startNextExample } from './nextjs-app.js'
import { submitForm } from './nextjs-page.js'

/** A cookie-jar browser on the app (see test/support/cookie-browser.ts). */
export type Browser = ReturnType<typeof createBrowser>

/** Call inside a (Redis) `describe`: the example, its emulator and the shopper's actions. */
export function useNextExample() {
  let bolt: BoltEmulator
  let app: NextServer
  const prefix = randomPrefix()
  /** Every answer's body and headers. */
  const seen: string[] = []
  /** The API key and every code the login modal gave. */
  const secrets = new Set<string>()
  /** Every random value the app legitimately answers (login states, session ids). */
  const randomValues = new Set<string>()

  beforeAll(async () => {
    bolt = await startEmulatorForFile()
    secrets.add(bolt.clientSecret)
    await buildNextExample()
    app = await startNextExample({
      BOLT_EMULATOR_URL: bolt.url,
      REDIS_URL: redisUrl ?? '',
      REDIS_PREFIX: prefix,
    })
  }, 170_000)

  afterAll(async () => {
    await app?.close()
    const redis = createTestRedis()
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
  })

  afterEach(() => {
    // Answers and everything the server printed: no token, code, ID token or API key.
    for (const text of [...seen, ...app.output]) {
      for (const secret of secrets) expect(text).not.toContain(secret)
      let scrubbed = text
      for (const value of randomValues) scrubbed = scrubbed.replaceAll(value, '')
      expect(scrubbed).not.toMatch(/(?<![\w-])(?:at|rt|code)_[\w-]{20,}/)
      expect(scrubbed).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./)
    }
  })

  /** What the page does before opening the login modal. */
  async function loginState(browser: Browser): Promise<string> {
    const hadSession = browser.jar.has('sid')
    const answer = await browser.get('/bolt/login-state')
    expect(answer.status).toBe(200)
    // A new session: its id in an HttpOnly cookie; an existing one is kept.
    expect(answer.setCookie).toEqual(
      hadSession
        ? []
        : [expect.stringMatching(/^sid=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/)],
    )
    const { state } = answer.json as { state: string }
    expect(state).toMatch(/^[\w-]{43}$/)
    randomValues.add(state)
    for (const value of browser.jar.values()) randomValues.add(value)
    return state
  }

  /** The Bolt login modal: the shopper logs in, the page gets a code for this state. */
  function loginModal(state: string): string {
    const { code } = bolt.login({ state })
    secrets.add(code)
    return code
  }

  return {
    get bolt(): BoltEmulator {
      return bolt
    },
    get app(): NextServer {
      return app
    },
    prefix,
    browse: () => createBrowser(app.url, seen),
    loginState,
    loginModal,

    /** The whole login: state, modal, callback. */
    async logIn(browser: Browser): Promise<BrowserAnswer> {
      const state = await loginState(browser)
      const answer = await browser.post('/bolt/login-callback', { code: loginModal(state), state })
      expect(answer.status).toBe(200)
      expect(answer.json).toMatchObject({ state: 'fullyScoped', canManage: true })
      return answer
    },

    /** A page, as a browser loads it, without following a redirect. */
    async load(browser: Browser, path = '/'): Promise<BrowserAnswer> {
      const cookie = [...browser.jar].map(([name, value]) => `${name}=${value}`).join('; ')
      const response = await fetch(`${app.url}${path}`, {
        headers: cookie === '' ? {} : { cookie },
        redirect: 'manual',
      })
      const text = await response.text()
      seen.push(text, JSON.stringify([...response.headers]))
      return { status: response.status, headers: response.headers, text, json: text, setCookie: [] }
    },

    /** Posts the page's form with `fields`, as a browser without JavaScript does. */
    async submit(
      browser: Browser,
      page: BrowserAnswer,
      fields: Record<string, string>,
    ): Promise<BrowserAnswer> {
      const answer = await submitForm(app.url, browser.jar, page.text, fields)
      seen.push(answer.text, JSON.stringify([...answer.headers]))
      return answer
    },

    /** Waits until the server's clock, which follows the emulator's, has expired the session. */
    async untilServerSeesExpiry(browser: Browser): Promise<void> {
      await expect
        .poll(async () => ((await browser.get('/bolt/status')).json as { state: string }).state, {
          timeout: 5_000,
          interval: 50,
        })
        .toBe('expired')
    },

    /** The token requests with `grant_type=refresh_token` Bolt saw after the first `since`. */
    refreshRequests: (since: number) =>
      bolt.requests.slice(since).filter((request) => request.grantType === 'refresh_token'),
  }
}
