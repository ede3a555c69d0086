/**
 * A merchant's own integration test, built on bolt-token-lifecycle/testing: every path the
 * token machine can take, generated from the machine, driven through the merchant's HTTP
 * routes (here the Express example) against the Bolt emulator, checking in each state what
 * the shopper's browser would get.
 *
 * Run it: `npx vitest run examples/testing`.
 */
import type { AddressInfo } from 'node:net'
import { createTokenManager, type TokenManager, type TokenState } from 'bolt-token-lifecycle'
import { createFetchTransport } from 'bolt-token-lifecycle/fetch'
import {
  type BoltEmulator,
  createBoltTestHelpers,
  createGatedTransport,
  describeLifecycleEvent,
  emulatorManagerOptions,
  type HeldRequest,
  isSingleCallerPath,
  lifecyclePaths,
  startBoltEmulator,
} from 'bolt-token-lifecycle/testing'
import { afterEach, expect, it } from 'vitest'
import { createApp } from '../express/app.js'

// Every path one caller on one backend instance can take (a crashed instance, a login during
// a refresh, or a late answer needs more: the library's own suite covers those), except
// ACCESS_TOKEN_REJECTED, which needs Bolt to refuse a live access token.
const paths = lifecyclePaths().filter(
  (path) =>
    isSingleCallerPath(path) &&
    path.steps.every((step) => step.event.type !== 'ACCESS_TOKEN_REJECTED'),
)

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** Your backend, started for one test: the Express example on a free port. */
async function startBackend(bolt: BoltEmulator) {
  // The gate holds each token request until the test decides how Bolt answers.
  const gate = createGatedTransport(createFetchTransport())
  const tokens: TokenManager = createTokenManager({
    ...emulatorManagerOptions(bolt),
    http: gate,
    // Each machine event is one answer from Bolt, so the library's retries are off here.
    retry: false,
  })
  const server = createApp({ tokens, boltBaseUrl: bolt.url, log: () => {} }).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  closers.push(async () => {
    gate.close()
    // Requests a path abandoned (a login or refresh overtaken by the next event) are not
    // waited for: they end on their own against the closed emulator.
    const closed = new Promise((resolve) => server.close(resolve))
    server.closeAllConnections()
    await closed
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let cookie = ''
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(url + path, {
      method,
      headers: { cookie, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const setCookie = response.headers.get('set-cookie')
    if (setCookie !== null) cookie = setCookie.split(';')[0] ?? ''
    const text = await response.text()
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
    }
  }
  return { gate, call }
}

const address = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Main St',
  locality: 'Springfield',
  region: 'Illinois',
  postal_code: '62701',
  country_code: 'US',
  email: 'shopper@example.com',
}

for (const path of paths) {
  const name = path.steps
    .slice(1)
    .map((step) => describeLifecycleEvent(step.event))
    .join(' → ')

  it(name, async () => {
    const bolt = await startBoltEmulator()
    closers.push(() => bolt.close())
    const helpers = createBoltTestHelpers(bolt)
    const { gate, call } = await startBackend(bolt)
    let inFlight: { request: HeldRequest; response: ReturnType<typeof call> } | undefined
    // The machine's times are abstract; what expired in reality is tracked here.
    let tokensExpired = false

    const hold = async (response: ReturnType<typeof call>) => {
      response.catch(() => {})
      inFlight = { request: await gate.nextRequest(), response }
    }
    const answer = async (expectedStatus: number, release: (request: HeldRequest) => void) => {
      if (inFlight === undefined) throw new Error('no token request in flight')
      const { request, response } = inFlight
      inFlight = undefined
      release(request)
      expect((await response).status).toBe(expectedStatus)
    }

    await path.test({
      events: {
        CODE_RECEIVED: async () => {
          const { body } = await call('GET', '/bolt/login-state')
          const state = String(body?.state)
          await hold(
            call('POST', '/bolt/login-callback', { code: helpers.login({ state }), state }),
          )
        },
        EXCHANGE_SUCCEEDED: async (step) => {
          const manage = JSON.stringify(step.event).includes('bolt.account.manage')
          await answer(200, (request) =>
            request.release(manage ? {} : { scope: 'bolt.account.view openid' }),
          )
          tokensExpired = false
        },
        EXCHANGE_FAILED: async () => {
          helpers.failNextTokenRequest('bad-gateway')
          await answer(503, (request) => request.release())
        },
        TIME_ADVANCED: async () => {
          helpers.expireAccessTokens()
          tokensExpired = true
        },
        REFRESH_STARTED: async () => {
          await hold(call('GET', '/account'))
        },
        REFRESH_SUCCEEDED: async () => {
          await answer(200, (request) => request.release())
          tokensExpired = false
        },
        REFRESH_FAILED: async (step) => {
          if (JSON.stringify(step.event).includes('INVALID_GRANT')) {
            await answer(401, (request) => {
              helpers.revoke(request.field('refresh_token') ?? '')
              request.release()
            })
          } else {
            helpers.failNextTokenRequest('bad-gateway')
            await answer(503, (request) => request.release())
          }
        },
        LOGOUT: async () => {
          inFlight = undefined
          expect((await call('POST', '/logout')).status).toBe(204)
          tokensExpired = false
        },
      },
      states: Object.fromEntries(
        (
          [
            'unauthenticated',
            'codeExchange',
            'fullyScoped',
            'expired',
            'refresh',
            'viewOnly',
          ] as const
        ).map((state) => [
          state,
          async () => {
            const seen: TokenState =
              (state === 'fullyScoped' || state === 'viewOnly') && tokensExpired ? 'expired' : state
            switch (seen) {
              case 'fullyScoped':
                expect((await call('POST', '/account/addresses', address)).status).toBe(200)
                break
              case 'viewOnly': {
                expect((await call('GET', '/account')).status).toBe(200)
                const write = await call('POST', '/account/addresses', address)
                expect([write.status, write.body?.error, write.body?.action]).toEqual([
                  403,
                  'SCOPE_REQUIRED',
                  'show_login_modal',
                ])
                break
              }
              case 'expired':
              case 'refresh': {
                const write = await call('POST', '/account/addresses', address)
                expect([write.status, write.body?.error]).toEqual([403, 'SCOPE_REQUIRED'])
                break
              }
              case 'unauthenticated': {
                const read = await call('GET', '/account')
                expect(read.status).toBe(401)
                expect(read.body?.action).toBe('show_login_modal')
                break
              }
              case 'codeExchange':
                break
            }
          },
        ]),
      ),
    })
  })
}
