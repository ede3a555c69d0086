/**
 * The Hono-on-workerd example's test: bundles the worker, serves it with workerd against a
 * Bolt emulator on loopback, and drives the login-modal flow over HTTP with a cookie jar —
 * login, account, refresh to view-only, SCOPE_REQUIRED → "show the login modal", step-up,
 * logout, NOT_AUTHENTICATED → 401 — then checks what Bolt saw and that no answer or log line
 * carries a secret.
 *
 * workerd comes from the runtime matrix, which runs this test: `npm run test:runtimes`
 * (`-- --only hono-workerd` for this test alone). Not a `*.test.ts` file: vitest, which has
 * no workerd, does not pick it up.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { type BoltEmulator, startBoltEmulator, tokenHash } from 'bolt-token-lifecycle/emulator'
import type { Plugin } from 'esbuild'
import { startWorkerd } from '../../runtimes/lib/workerd.js'
import { type BrowserAnswer, createBrowser } from '../../test/support/cookie-browser.js'
import { buildWorker, type WorkerVariant } from './build.js'

/** Options of {@link runHonoWorkerdFlow}. */
export interface HonoWorkerdFlowOptions {
  /** The `workerd` binary. */
  workerd: string
  /** A folder whose `node_modules` holds the package to bundle (default: this repository). */
  packageDir?: string
  /** Called as each step passes. */
  onStep?: (step: string) => void
  /** Where the worker keeps tokens. @default 'memory' */
  variant?: WorkerVariant
  /** esbuild plugins for the bundle (the tests resolve the package to its sources). */
  plugins?: Plugin[]
}

const CONFIGS: Record<WorkerVariant, string> = {
  memory: fileURLToPath(new URL('./config.capnp', import.meta.url)),
  'durable-objects': fileURLToPath(new URL('./config-durable-objects.capnp', import.meta.url)),
}
// The token manager counts a token with under a minute left as expired (refreshSkewMs), so
// tokens of 62 s expire for it 2 s after a login: the flow sees a real refresh without a
// clock the worker would have to share.
const TOKEN_TTL_SECONDS = 62
const UNTIL_EXPIRED_MS = 2_300
const ADDRESS = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Market St',
  locality: 'San Francisco',
  region: 'California',
  postal_code: '94105',
  country_code: 'US',
  email: 'shopper@example.com',
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message)
}

function expectAnswer(
  answer: BrowserAnswer,
  status: number,
  fields: Record<string, unknown>,
  what: string,
) {
  const json = (answer.json ?? {}) as Record<string, unknown>
  const got = JSON.stringify({ status: answer.status, ...json })
  expect(answer.status === status, `${what}: expected status ${status}, got ${got}`)
  for (const [name, value] of Object.entries(fields)) {
    expect(json[name] === value, `${what}: expected ${name} = ${JSON.stringify(value)}, got ${got}`)
  }
}

/** Runs the flow; resolves with the steps that passed, rejects at the first wrong answer. */
export async function runHonoWorkerdFlow(options: HonoWorkerdFlowOptions): Promise<string[]> {
  const steps: string[] = []
  const step = async (name: string, body: () => Promise<void>) => {
    try {
      await body()
    } catch (error) {
      throw new Error(`step "${name}" failed: ${error instanceof Error ? error.message : error}`)
    }
    steps.push(name)
    options.onStep?.(name)
  }
  const variant = options.variant ?? 'memory'
  await buildWorker({
    variant,
    ...(options.packageDir === undefined ? {} : { packageDir: options.packageDir }),
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
  })
  const bolt: BoltEmulator = await startBoltEmulator({ accessTokenTtlSeconds: TOKEN_TTL_SECONDS })
  const secrets = new Set([bolt.clientSecret])
  const seen: string[] = []
  let worker: Awaited<ReturnType<typeof startWorkerd>> | undefined
  try {
    worker = await startWorkerd({
      binary: options.workerd,
      config: CONFIGS[variant],
      env: {
        ...process.env,
        BOLT_BASE_URL: bolt.url,
        BOLT_PUBLISHABLE_KEY: bolt.clientId,
        BOLT_API_KEY: bolt.clientSecret,
      },
    })
    const browser = createBrowser(worker.url, seen)
    const login = async () => {
      const { json } = await browser.get('/bolt/login-state')
      const state = String((json as { state?: unknown }).state)
      const { code } = bolt.login({ state }) // the login modal
      secrets.add(code)
      return browser.post('/bolt/login-callback', { code, state })
    }

    await step('no session: 401 NOT_AUTHENTICATED, show the login modal', async () => {
      expectAnswer(
        await browser.get('/account'),
        401,
        {
          error: 'NOT_AUTHENTICATED',
          action: 'show_login_modal',
        },
        'GET /account',
      )
    })
    await step('a callback without a code: 400 BAD_REQUEST', async () => {
      await browser.get('/bolt/login-state')
      expect(browser.jar.has('sid'), 'GET /bolt/login-state set no session cookie')
      expectAnswer(
        await browser.post('/bolt/login-callback', { state: 'x' }),
        400,
        {
          error: 'BAD_REQUEST',
        },
        'POST /bolt/login-callback',
      )
    })
    await step('a callback with a foreign state: 400 STATE_MISMATCH', async () => {
      await browser.get('/bolt/login-state')
      const { code } = bolt.login({ state: 'forged' })
      secrets.add(code)
      expectAnswer(
        await browser.post('/bolt/login-callback', { code, state: 'forged' }),
        400,
        {
          error: 'STATE_MISMATCH',
        },
        'POST /bolt/login-callback',
      )
    })
    await step('login: the callback exchanges the code (fullyScoped)', async () => {
      expectAnswer(await login(), 200, { state: 'fullyScoped', canManage: true }, 'login')
      const account = await browser.get('/account')
      expectAnswer(account, 200, { has_bolt_account: true }, 'GET /account')
      const { profile } = account.json as { profile?: { email?: unknown } }
      expect(
        profile?.email === 'shopper@example.com',
        `GET /account: expected profile.email = "shopper@example.com", got ${JSON.stringify(profile)}`,
      )
      expectAnswer(
        await browser.post('/account/addresses', ADDRESS),
        200,
        {},
        'POST /account/addresses',
      )
    })
    await step('the token expires: the account route refreshes (view-only)', async () => {
      await sleep(UNTIL_EXPIRED_MS)
      expectAnswer(await browser.get('/account'), 200, {}, 'GET /account')
      expect(bolt.stats.refreshes === 1, `Bolt saw ${bolt.stats.refreshes} refreshes, expected 1`)
    })
    await step('view-only: a write is 403 SCOPE_REQUIRED, show the login modal', async () => {
      expectAnswer(
        await browser.post('/account/addresses', ADDRESS),
        403,
        {
          error: 'SCOPE_REQUIRED',
          action: 'show_login_modal',
        },
        'POST /account/addresses',
      )
    })
    await step('step-up: a new login, and the write succeeds', async () => {
      expectAnswer(await login(), 200, { state: 'fullyScoped', canManage: true }, 'step-up login')
      expectAnswer(
        await browser.post('/account/addresses', ADDRESS),
        200,
        {},
        'POST /account/addresses',
      )
    })
    await step('logout: 204, the cookie cleared, then 401 NOT_AUTHENTICATED', async () => {
      const answer = await browser.post('/logout')
      expect(answer.status === 204, `POST /logout answered ${answer.status}`)
      expect(!browser.jar.has('sid'), 'POST /logout did not clear the session cookie')
      expectAnswer(
        await browser.get('/account'),
        401,
        { error: 'NOT_AUTHENTICATED' },
        'GET /account',
      )
    })
    await step('Bolt saw two logins, one refresh, no reuse', async () => {
      const { codeExchanges, refreshes, reuseDetected, invalidGrants, accountWrites } = bolt.stats
      const saw = { codeExchanges, refreshes, reuseDetected, invalidGrants, accountWrites }
      const expected = {
        codeExchanges: 2,
        refreshes: 1,
        reuseDetected: 0,
        invalidGrants: 0,
        accountWrites: 2,
      }
      expect(JSON.stringify(saw) === JSON.stringify(expected), `Bolt saw ${JSON.stringify(saw)}`)
    })
    await step('no secret in any answer or log line', async () => {
      const everything = [...seen, worker?.output() ?? ''].join('\n')
      // Bolt's request log holds only hashes: a presented refresh token printed anywhere hashes to one.
      const presented = new Set(bolt.requests.flatMap((request) => request.refreshTokenHash ?? []))
      const printed = (everything.match(/rt_[\w-]+/g) ?? []).filter((t) =>
        presented.has(tokenHash(t)),
      )
      const leaked =
        [...secrets].filter((secret) => everything.includes(secret)).length + printed.length
      expect(leaked === 0, `${leaked} secret(s) appeared in an answer or in workerd's output`)
    })
    return steps
  } catch (error) {
    const output = worker?.output().trim()
    if (output) throw new Error(`${(error as Error).message}\nworkerd output:\n${output}`)
    throw error
  } finally {
    await worker?.stop()
    await bolt.close()
  }
}
