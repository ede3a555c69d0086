// The playground (`npm run playground`) in headless Chromium: one shopper through the whole
// lifecycle by clicking its buttons, asserting after every click which state the page shows,
// both on the label and on the highlighted node of the diagram.
//
// Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`; never
// `playwright install`). Without it the suite is skipped loudly, or fails when CI is set.
// `UPDATE_SCREENSHOT=1` copies the screenshots it takes into docs/playground.png and
// docs/images/operations-panel.png.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Playground, startPlayground } from '../../examples/playground/server.js'
import type { TokenState } from '../../src/machine/token-machine.js'

const CHROMIUM = '/usr/bin/chromium'
const WAIT = { timeout: 5_000 }
const SCREENSHOT = fileURLToPath(new URL('../../docs/playground.png', import.meta.url))
const OPERATIONS_SCREENSHOT = fileURLToPath(
  new URL('../../docs/images/operations-panel.png', import.meta.url),
)
/** What must never reach the page or the server log: tokens, codes, the emulator's keys. */
const SECRET = /\b(?:at|rt|code)_[\w-]{8,}|eyJ[\w-]+\.eyJ[\w-]+\.|sk_emulator|pk_emulator/

const ci = !['', '0', 'false'].includes(process.env.CI ?? '')
const hasChromium = existsSync(CHROMIUM)

if (!hasChromium && !ci) {
  console.warn(
    `\n!!! PLAYGROUND E2E SKIPPED: ${CHROMIUM} not found. Install Debian's chromium ` +
      '(apt-get install -y chromium) to run it; under CI this is a failure.\n',
  )
}

if (!hasChromium && ci) {
  throw new Error(`${CHROMIUM} is missing and CI is set: install it (apt-get install -y chromium)`)
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'the playground in Chromium'
    : `the playground in Chromium (skipped: ${CHROMIUM} not found; install Debian's chromium)`,
  () => {
    let playground: Playground
    let browser: Browser
    let page: Page
    let shots: string
    const pageErrors: string[] = []
    const foreignRequests: string[] = []
    const requests: string[] = []
    const printed: string[] = []

    beforeAll(async () => {
      for (const method of ['log', 'warn', 'error'] as const) {
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          printed.push(args.map(String).join(' '))
        })
      }
      shots = await mkdtemp(join(tmpdir(), 'playground-e2e-'))
      playground = await startPlayground()
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      })
      page = await browser.newPage({ viewport: { width: 1600, height: 1150 } })
      page.setDefaultTimeout(5_000)
      page.on('pageerror', (error) => pageErrors.push(error.message))
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text())
      })
      await page.route('**/*', (route) => {
        const url = route.request().url()
        if (!url.startsWith(`${playground.url}/`)) {
          foreignRequests.push(url)
          return route.abort()
        }
        requests.push(`${route.request().method()} ${new URL(url).pathname}`)
        return route.continue()
      })
    })

    afterAll(async () => {
      await browser?.close()
      await playground?.close()
      if (shots !== undefined) await rm(shots, { recursive: true, force: true })
      vi.restoreAllMocks()
    })

    /** The label, its `data-state` and the diagram's one highlighted node all show `state`. */
    async function expectState(state: TokenState): Promise<void> {
      const label = page.getByTestId('state')
      await expect.poll(() => label.getAttribute('data-state'), WAIT).toBe(state)
      expect(await label.textContent()).toBe(state)
      const highlighted = page.locator('[data-testid="diagram"] svg g.node.current')
      expect(await highlighted.count()).toBe(1)
      expect((await highlighted.textContent())?.trim()).toBe(state)
      expect(await highlighted.getAttribute('id')).toMatch(new RegExp(`-state-${state}-\\d+$`))
    }

    /** Clicks a button and waits until the backend has reported its outcome. */
    async function press(button: string, outcome: string): Promise<void> {
      const seq = Number(await page.getByTestId('outcome').getAttribute('data-seq'))
      await page.getByTestId(button).click()
      await expect
        .poll(async () => Number(await page.getByTestId('outcome').getAttribute('data-seq')), WAIT)
        .toBe(seq + 1)
      expect(await page.getByTestId('outcome').textContent()).toBe(outcome)
    }

    async function transitions(): Promise<string[]> {
      return page.locator('[data-testid="log"] li[data-kind="transition"]').evaluateAll((items) =>
        items.map((item) => {
          const { from, to, event } = (item as HTMLElement).dataset
          return `${from} → ${to} (${event})`
        }),
      )
    }

    it('walks one shopper through the whole lifecycle, live', async () => {
      await page.goto(playground.url)
      await expect
        .poll(() => page.getByTestId('connection').getAttribute('data-connected'), WAIT)
        .toBe('true')
      await expectState('unauthenticated')
      expect(await page.getByTestId('log').locator('li').count()).toBe(0)

      await press('login', 'Log in: now fullyScoped')
      await expectState('fullyScoped')
      expect(await page.getByTestId('can-manage').textContent()).toBe('true')
      expect(await page.getByTestId('scopes').textContent()).toBe('bolt.account.manage openid')
      expect(await page.getByTestId('expires').textContent()).toBe('60 min')
      expect(await page.getByTestId('identity').textContent()).toBe(
        'shopper@example.com (verified)',
      )

      await press('write', 'Write address: HTTP 200 (address added)')
      await expectState('fullyScoped')

      await press('advance', 'Advance clock: Bolt clock +61 min')
      await expectState('expired')
      expect(await page.getByTestId('can-manage').textContent()).toBe('false')
      expect(await page.getByTestId('expires').textContent()).toBe('expired 1 min ago')

      await press('read', 'Read account: HTTP 200 (1 address)')
      await expectState('viewOnly')
      expect(await page.getByTestId('scopes').textContent()).toBe('bolt.account.view')
      // The refresh carried no ID token: the login's identity stays.
      expect(await page.getByTestId('identity').textContent()).toBe(
        'shopper@example.com (verified)',
      )
      expect(await transitions()).toEqual([
        'unauthenticated → codeExchange (CODE_RECEIVED)',
        'codeExchange → fullyScoped (EXCHANGE_SUCCEEDED)',
        'fullyScoped → expired (TIME_ADVANCED)',
        'expired → refresh (REFRESH_STARTED)',
        'refresh → viewOnly (REFRESH_SUCCEEDED)',
      ])
      await page.mouse.move(0, 0) // no hover outline on the last button pressed
      await page.screenshot({ path: join(shots, 'playground.png') })

      await press('write', 'Write address: SCOPE_REQUIRED: view-only session, log in again')
      await expectState('viewOnly')
      expect(
        await page.locator('[data-testid="log"] li[data-kind="outcome"][data-ok="false"]').count(),
      ).toBe(1)

      await press('login', 'Log in: now fullyScoped')
      await expectState('fullyScoped')

      await press('logout', 'Log out: logged out')
      await expectState('unauthenticated')
      expect(await page.getByTestId('identity').textContent()).toBe('–')
      expect((await transitions()).slice(5)).toEqual([
        'viewOnly → codeExchange (CODE_RECEIVED)',
        'codeExchange → fullyScoped (EXCHANGE_SUCCEEDED)',
        'fullyScoped → unauthenticated (LOGOUT)',
      ])

      await press('read', 'Read account: NOT_AUTHENTICATED: log in first')
      await expectState('unauthenticated')

      // Nothing secret reached the page or the server's output; nothing left this machine; the
      // page opened one event stream and sent one request per click (it never polls).
      expect(await page.content()).not.toMatch(SECRET)
      expect(printed.filter((line) => SECRET.test(line))).toEqual([])
      expect(foreignRequests).toEqual([])
      expect(pageErrors).toEqual([])
      expect(requests.filter((request) => request === 'GET /events')).toHaveLength(1)
      expect(requests.filter((request) => request.includes('/api/'))).toEqual([
        'POST /api/login',
        'POST /api/write',
        'POST /api/advance',
        'POST /api/read',
        'POST /api/write',
        'POST /api/login',
        'POST /api/logout',
        'POST /api/read',
      ])

      if (process.env.UPDATE_SCREENSHOT === '1') {
        await copyFile(join(shots, 'playground.png'), SCREENSHOT)
        process.stderr.write(`updated ${SCREENSHOT}\n`)
      }
      expect(existsSync(SCREENSHOT), 'docs/playground.png is missing: UPDATE_SCREENSHOT=1').toBe(
        true,
      )
    }, 30_000)

    it('sends a page that opens after the walk above its state and log so far', async () => {
      const late = await browser.newPage()
      try {
        await late.goto(playground.url)
        await expect
          .poll(() => late.getByTestId('state').getAttribute('data-state'), WAIT)
          .toBe('unauthenticated')
        expect(await late.locator('[data-testid="log"] li[data-kind="transition"]').count()).toBe(8)
        expect(await late.locator('svg g.node.current').textContent()).toBe('unauthenticated')
      } finally {
        await late.close()
      }
    })

    /** The operations panel's figures, as the page shows them. */
    function operationsPanel() {
      return page.getByTestId('operations').evaluate((panel) => {
        const rows = (testId: string, key: (row: HTMLElement) => string) =>
          Object.fromEntries(
            [...panel.querySelectorAll<HTMLElement>(`[data-testid="${testId}"] tr`)].map((row) => [
              key(row),
              Number(row.querySelector('.count')?.textContent),
            ]),
          )
        return {
          states: rows('ops-states', (row) => row.dataset.state ?? ''),
          requests: rows('ops-requests', (row) => `${row.dataset.grant} ${row.dataset.outcome}`),
          counters: Object.fromEntries(
            [...panel.querySelectorAll<HTMLElement>('dd[data-metric]')].map((figure) => [
              figure.dataset.metric,
              Number(figure.textContent),
            ]),
          ),
        }
      })
    }

    it('the operations panel counts sessions by state and token requests by outcome, from the manager’s metrics', async () => {
      const idle = { leaseWaits: 0, takeovers: 0, storeErrors: 0, refreshQueue: 0 }
      // After the walk above: its shopper logged out, after two logins, one refresh and one
      // write refused with SCOPE_REQUIRED.
      expect(await operationsPanel()).toEqual({
        states: {
          unauthenticated: 1,
          codeExchange: 0,
          fullyScoped: 0,
          expired: 0,
          refresh: 0,
          viewOnly: 0,
        },
        requests: { 'refresh_token ok': 1, 'authorization_code ok': 2 },
        counters: { scopeRequired: 1, ...idle },
      })

      await press('shoppers', 'More shoppers: 3 more shoppers logged in')
      await press('login', 'Log in: now fullyScoped')
      await press('advance', 'Advance clock: Bolt clock +61 min')
      await press('read', 'Read account: HTTP 200 (1 address)')
      await expectState('viewOnly')
      // The shopper refreshed on reading; the three others sit expired until they come back.
      await expect.poll(operationsPanel, WAIT).toEqual({
        states: {
          unauthenticated: 0,
          codeExchange: 0,
          fullyScoped: 0,
          expired: 3,
          refresh: 0,
          viewOnly: 1,
        },
        requests: { 'refresh_token ok': 2, 'authorization_code ok': 6 },
        counters: { scopeRequired: 1, ...idle },
      })
      await page.mouse.move(0, 0)
      const shot = join(shots, 'operations-panel.png')
      await page.getByTestId('operations').screenshot({ path: shot })
      expect(await page.content()).not.toMatch(SECRET)
      expect(pageErrors).toEqual([])

      if (process.env.UPDATE_SCREENSHOT === '1') {
        await mkdir(dirname(OPERATIONS_SCREENSHOT), { recursive: true })
        await copyFile(shot, OPERATIONS_SCREENSHOT)
        process.stderr.write(`updated ${OPERATIONS_SCREENSHOT}\n`)
      }
      expect(
        existsSync(OPERATIONS_SCREENSHOT),
        'docs/images/operations-panel.png is missing: UPDATE_SCREENSHOT=1',
      ).toBe(true)
    }, 30_000)

    it('refuses a button press from another site', async () => {
      // Without a JSON content type (a form or text/plain post needs no preflight): 415.
      const response = await fetch(`${playground.url}/api/advance`, { method: 'POST' })
      expect(response.status).toBe(415)
      // JSON but without the page's custom header: 405.
      const headerless = await fetch(`${playground.url}/api/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      expect(headerless.status).toBe(405)
      const outcome = await fetch(`${playground.url}/api/advance`, { method: 'GET' })
      expect(outcome.status).toBe(405)
    })
  },
)
