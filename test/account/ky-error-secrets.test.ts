/**
 * The ky Account API client from the side of whoever reads its errors and runs hooks on it (an
 * error reporter, a logger): ky's HTTPError and TimeoutError, and every argument a merchant's
 * beforeRequest, afterResponse and beforeError hook receives, printed with
 * `util.inspect(…, { depth: Infinity, showHidden: true })`, hold no access token, refresh
 * token, id token or API key (which the client now sends as `X-API-Key`).
 */
import ky, { type Hooks } from 'ky'
import { describe, expect, it } from 'vitest'
import { createAccountClient } from '../../adapters/http/ky.js'
import { PAST_EXPIRY_MS } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { startSinkServer } from '../support/sink-server.js'
import { accountScene, expectNoSecrets, SESSION, T0 } from './account-scene.js'

/** Hooks that keep every argument they receive, as an error reporter would. */
function recordingHooks(): { hooks: Hooks; seen: unknown[]; requests: Request[] } {
  const seen: unknown[] = []
  const requests: Request[] = []
  return {
    seen,
    requests,
    hooks: {
      beforeRequest: [
        (request, options) => {
          requests.push(request)
          seen.push(request, options)
        },
      ],
      afterResponse: [
        (request, options, response) => {
          requests.push(request)
          seen.push(request, options, response)
        },
      ],
      beforeError: [
        (error) => {
          requests.push(error.request)
          seen.push(error)
          return error
        },
      ],
    },
  }
}

describe('createAccountClient (ky): errors and merchant hooks never hold a secret', () => {
  it('a TimeoutError (Bolt never answers) carries no token', async () => {
    const scene = await accountScene()
    const silent = await startSinkServer(() => 'hang')
    const record = recordingHooks()
    const account = createAccountClient(scene.tokens, SESSION, {
      baseUrl: silent.url,
      ky: ky.create({ timeout: 200, hooks: record.hooks }),
    })
    const error = await rejection(account.get('v1/account'))
    expect(error.name).toBe('TimeoutError')
    // The token and the API key did reach the (silent) API root: the error is about the
    // answer, not the send.
    expect(silent.requests.map((request) => request.headers.authorization)).toEqual([
      `Bearer ${await scene.tokens.getAccessToken(SESSION)}`,
    ])
    expect(silent.requests.map((request) => request.headers['x-api-key'])).toEqual([
      scene.bolt.clientSecret,
    ])
    expect(record.requests.length).toBeGreaterThan(0)
    expect(record.requests.map((request) => request.headers.get('authorization'))).toEqual(
      record.requests.map(() => null),
    )
    expect(record.requests.map((request) => request.headers.get('x-api-key'))).toEqual(
      record.requests.map(() => null),
    )
    expectNoSecrets([error, ...record.seen], await scene.rememberSecrets())
  })

  it('an HTTPError (Bolt answers 500): the merchant’s hooks and the error carry no token', async () => {
    const scene = await accountScene()
    scene.bolt.injectFault(
      { type: 'respond', status: 500, body: '{"error":"server_error"}' },
      { route: 'account' },
    )
    const record = recordingHooks()
    const account = createAccountClient(scene.tokens, SESSION, {
      ky: ky.create({ hooks: record.hooks }),
    })
    const error = await rejection(account.get('v1/account'))
    expect(error.name).toBe('HTTPError')
    // beforeRequest, afterResponse, beforeError: each ran once, with a request without a token.
    expect(record.requests).toHaveLength(3)
    expect(record.requests.map((request) => request.headers.get('authorization'))).toEqual([
      null,
      null,
      null,
    ])
    expect(record.requests.map((request) => request.headers.get('x-api-key'))).toEqual([
      null,
      null,
      null,
    ])
    expectNoSecrets([error, ...record.seen], await scene.rememberSecrets())
  })

  it('a 401, a refresh and the retry: neither token, nor either refresh token, reaches a hook', async () => {
    // The manager's clock stands still while Bolt's moves past the token's expiry.
    const scene = await accountScene(() => T0)
    scene.bolt.advanceClock(PAST_EXPIRY_MS)
    const record = recordingHooks()
    const account = createAccountClient(scene.tokens, SESSION, {
      ky: ky.create({ hooks: record.hooks }),
    })
    const response = await account.get('v1/account')
    expect(response.status).toBe(200)
    expect(scene.bolt.stats).toMatchObject({ refreshes: 1, accountReads: 1 })
    expect((await scene.tokens.getStatus(SESSION)).state).toBe('viewOnly')
    const secrets = await scene.rememberSecrets()
    // The API key, the id token, and the login's and the refresh's access and refresh tokens.
    expect(secrets.size).toBe(6)
    expect(secrets.has(scene.bolt.clientSecret)).toBe(true)
    expectNoSecrets([response, ...record.seen], secrets)
  })
})
