/**
 * `SCOPE_REQUIRED` from the Account API clients is decided by the session (can it manage?) and
 * the request (is it a write?), never by the words of Bolt's answer: Bolt documents no
 * `insufficient_scope` error. A loopback sink stands in for Bolt's Account API and answers
 * what each test needs; the manager's token endpoint stays the emulator.
 */
import type { HTTPError } from 'ky'
import { describe, expect, it } from 'vitest'
import { createAccountClient } from '../../adapters/http/ky.js'
import { createAccountFetch } from '../../src/account/account-fetch.js'
import { SAMPLE_ADDRESS } from '../../src/emulator/index.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { PAST_EXPIRY_MS } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { type SinkAnswer, startSinkServer } from '../support/sink-server.js'
import { accountScene, SESSION } from './account-scene.js'

/** Bolt's error body, with wording that claims a scope refusal. */
const SCOPE_WORDED: SinkAnswer = {
  status: 403,
  headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="bolt.account.manage"' },
  body: '{"error":"insufficient_scope","result":{"success":false},"errors":[{"code":1003,"message":"insufficient_scope"}]}',
}
/** A refusal that says nothing about why. */
const SILENT_403: SinkAnswer = { status: 403, body: '' }

/** Sends one request and gives back its status, or the library's error code. */
type Send = (
  tokens: TokenManager,
  baseUrl: string,
  method: 'GET' | 'POST',
) => Promise<{ status: number } | { code: string; status: number | undefined }>

const outcome = (error: unknown) => {
  const { code, status, name, response } = error as {
    code?: string
    status?: number
    name?: string
    response?: Response
  }
  // ky's HTTPError is Bolt's answer, passed on: its status, not a library code.
  if (name === 'HTTPError' && response) return { status: response.status }
  return { code: code ?? String(error), status }
}

const clients: [string, Send][] = [
  [
    'createAccountFetch',
    (tokens, baseUrl, method) =>
      createAccountFetch(tokens, SESSION, { baseUrl })(
        method === 'GET' ? '/v1/account' : '/v1/account/addresses',
        method === 'GET'
          ? {}
          : {
              method,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(SAMPLE_ADDRESS),
            },
      ).then(
        (response) => ({ status: response.status }),
        (error: unknown) => outcome(error),
      ),
  ],
  [
    'createAccountClient (ky)',
    (tokens, baseUrl, method) => {
      const account = createAccountClient(tokens, SESSION, { baseUrl })
      const sent =
        method === 'GET'
          ? account.get('v1/account')
          : account.post('v1/account/addresses', { json: SAMPLE_ADDRESS })
      return sent.then(
        (response) => ({ status: response.status }),
        (error: HTTPError) => outcome(error),
      )
    },
  ],
]

/** A logged-in scene whose session has been refreshed: view-only. */
async function viewOnlyScene() {
  const scene = await accountScene()
  scene.bolt.advanceClock(PAST_EXPIRY_MS)
  await scene.tokens.getAccessToken(SESSION)
  expect(await scene.tokens.getStatus(SESSION)).toMatchObject({
    state: 'viewOnly',
    canManage: false,
  })
  return scene
}

describe.each(clients)('%s: SCOPE_REQUIRED comes from the session, not the wording', (_n, send) => {
  it('a 403 worded insufficient_scope on a read is Bolt’s answer, not SCOPE_REQUIRED', async () => {
    const scene = await viewOnlyScene()
    const bolt = await startSinkServer(() => SCOPE_WORDED)
    expect(await send(scene.tokens, bolt.url, 'GET')).toEqual({ status: 403 })
    expect(bolt.requests).toHaveLength(1)
  })

  it('a 403 worded insufficient_scope on a write from a session that can manage is Bolt’s answer', async () => {
    const scene = await accountScene()
    const bolt = await startSinkServer(() => SCOPE_WORDED)
    expect(await send(scene.tokens, bolt.url, 'POST')).toEqual({ status: 403 })
    expect((await scene.tokens.getStatus(SESSION)).canManage).toBe(true)
  })

  it('a 403 with no wording at all on a write from a view-only session → SCOPE_REQUIRED', async () => {
    const scene = await viewOnlyScene()
    const bolt = await startSinkServer(() => SILENT_403)
    expect(await send(scene.tokens, bolt.url, 'POST')).toEqual({
      code: 'SCOPE_REQUIRED',
      status: 403,
    })
    expect(bolt.requests.map((request) => request.method)).toEqual(['POST'])
  })

  it('a write refused 401, refreshed (now view-only), refused 401 again → SCOPE_REQUIRED', async () => {
    const scene = await accountScene()
    const bolt = await startSinkServer(() => ({ status: 401, body: '' }))
    expect(await send(scene.tokens, bolt.url, 'POST')).toEqual({
      code: 'SCOPE_REQUIRED',
      status: 401,
    })
    expect(bolt.requests.map((request) => request.method)).toEqual(['POST', 'POST'])
    expect(scene.bolt.stats.refreshes).toBe(1)
  })

  it('a read refused 401 twice stays NOT_AUTHENTICATED, whatever the session can do', async () => {
    const scene = await accountScene()
    const bolt = await startSinkServer(() => ({ status: 401, body: '' }))
    expect(await send(scene.tokens, bolt.url, 'GET')).toEqual({
      code: 'NOT_AUTHENTICATED',
      status: 401,
    })
  })

  it('the real emulator: a view-only token’s write is refused 403 → SCOPE_REQUIRED; the read works', async () => {
    const scene = await viewOnlyScene()
    scene.bolt.resetStats()
    expect(await send(scene.tokens, scene.bolt.url, 'GET')).toEqual({ status: 200 })
    expect(await send(scene.tokens, scene.bolt.url, 'POST')).toEqual({
      code: 'SCOPE_REQUIRED',
      status: 403,
    })
    expect(scene.bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 0, refreshes: 0 })
  })
})

it('the SCOPE_REQUIRED message says what to do, and names the request', async () => {
  const scene = await viewOnlyScene()
  const bolt = await startSinkServer(() => SILENT_403)
  const error = await rejection(
    createAccountFetch(scene.tokens, SESSION, { baseUrl: bolt.url })('/v1/account/addresses', {
      method: 'DELETE',
    }),
  )
  expect(error.code).toBe('SCOPE_REQUIRED')
  expect(error.message).toContain('DELETE /v1/account/addresses')
  expect(error.message).toContain('login modal')
})
