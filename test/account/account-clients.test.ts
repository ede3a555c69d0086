/**
 * The Account API clients (`createAccountFetch`, `createAccountClient` on ky) against the real
 * emulator: the bearer token, one refresh and one retry on a 401 (however many requests are
 * refused at once), a write Bolt refuses (403) on a view-only session as SCOPE_REQUIRED.
 */
import { inspect } from 'node:util'
import ky from 'ky'
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createAccountClient } from '../../adapters/http/ky.js'
import { createAccountFetch } from '../../src/account/account-fetch.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { SAMPLE_ADDRESS } from '../../src/emulator/index.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

const SESSION = 'shopper-1'

/** One interface over both clients: a status and a parsed body, or the error thrown. */
interface Client {
  get(path: string): Promise<{ status: number; body: unknown }>
  post(path: string, json: unknown): Promise<{ status: number; body: unknown }>
}

type MakeClient = (
  tokens: TokenManager,
  bolt: BoltEmulator,
  options?: { scope?: 'bolt.account.manage' },
) => Client

const clients: [string, MakeClient][] = [
  [
    'createAccountFetch',
    (tokens, bolt, options = {}) => {
      const account = createAccountFetch(tokens, SESSION, { baseUrl: bolt.url, ...options })
      const read = async (response: Response) => ({
        status: response.status,
        body: await response.json(),
      })
      return {
        get: async (path) => read(await account(path)),
        post: async (path, json) =>
          read(
            await account(path, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(json),
            }),
          ),
      }
    },
  ],
  [
    'createAccountClient (ky)',
    (tokens, bolt, options = {}) => {
      const account = createAccountClient(tokens, SESSION, { baseUrl: bolt.url, ...options })
      const read = async (response: Response) => ({
        status: response.status,
        body: await response.json(),
      })
      return {
        get: async (path) => read(await account.get(path.replace(/^\//, ''))),
        post: async (path, json) => read(await account.post(path.replace(/^\//, ''), { json })),
      }
    },
  ],
]

const T0 = Date.parse('2030-01-01T00:00:00Z')
const frozen = T0

async function scene(managerClock?: () => number) {
  const bolt = await startEmulator({ now: T0 })
  const tokens = managerFor(
    bolt,
    createFetchTransport(),
    managerClock ? { clock: managerClock } : {},
  )
  await logIn(bolt, tokens, SESSION)
  bolt.resetStats()
  return { bolt, tokens }
}

const refreshes = (bolt: BoltEmulator) =>
  bolt.requests.filter((request) => request.grantType === 'refresh_token')

describe.each(clients)('%s', (_name, makeClient) => {
  it('sends the session’s token: a fully scoped session reads and writes the account', async () => {
    const { bolt, tokens } = await scene()
    const account = makeClient(tokens, bolt)
    const profile = await account.get('/v1/account')
    expect(profile.status).toBe(200)
    expect(profile.body).toMatchObject({ profile: { email: expect.any(String) } })
    const added = await account.post('/v1/account/addresses', SAMPLE_ADDRESS)
    expect(added).toMatchObject({ status: 200, body: { postal_code: SAMPLE_ADDRESS.postal_code } })
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 1, tokenRequests: 0 })
  })

  it('an expired session is refreshed first (view-only): reads work, a write is SCOPE_REQUIRED from Bolt’s 403', async () => {
    const { bolt, tokens } = await scene()
    bolt.advanceClock(PAST_EXPIRY_MS)
    const account = makeClient(tokens, bolt)
    expect((await account.get('/v1/account')).status).toBe(200)
    expect(refreshes(bolt).map((request) => request.status)).toEqual([200])
    const error = await rejection(account.post('/v1/account/addresses', SAMPLE_ADDRESS))
    expect(error).toMatchObject({ code: 'SCOPE_REQUIRED', status: 403 })
    expect(error.message).toContain('POST /v1/account/addresses')
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 0, refreshes: 1 })
    expect((await tokens.getStatus(SESSION)).state).toBe('viewOnly')
  })

  it('with scope bolt.account.manage, a view-only session is SCOPE_REQUIRED before Bolt is called', async () => {
    const { bolt, tokens } = await scene()
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken(SESSION)
    bolt.resetStats()
    const account = makeClient(tokens, bolt, { scope: 'bolt.account.manage' })
    const error = await rejection(account.post('/v1/account/addresses', SAMPLE_ADDRESS))
    expect(error.code).toBe('SCOPE_REQUIRED')
    expect(error.status).toBeUndefined()
    expect(bolt.stats).toMatchObject({ accountReads: 0, accountWrites: 0, tokenRequests: 0 })
  })

  it('a token Bolt refuses (401) though our clock says it is fresh → one refresh, one retry, 200', async () => {
    // The manager's clock stands still while Bolt's moves past the token's expiry.
    const { bolt, tokens } = await scene(() => frozen)
    const stale = await tokens.getAccessToken(SESSION)
    bolt.advanceClock(PAST_EXPIRY_MS)
    const account = makeClient(tokens, bolt)
    const profile = await account.get('/v1/account')
    expect(profile.status).toBe(200)
    expect(refreshes(bolt).map((request) => request.status)).toEqual([200])
    const now = await tokens.getAccessToken(SESSION)
    expect(now).not.toBe(stale)
    expect(tokens.transitions.slice(2).map((t) => `${t.from}→${t.to}`)).toEqual([
      'fullyScoped→expired',
      'expired→refresh',
      'refresh→viewOnly',
    ])
    expect((await tokens.getStatus(SESSION)).state).toBe('viewOnly')
  })

  it('eight requests refused at once → exactly one refresh, every request retried once and answered', async () => {
    const { bolt, tokens } = await scene(() => frozen)
    await tokens.getAccessToken(SESSION)
    bolt.advanceClock(PAST_EXPIRY_MS)
    const account = makeClient(tokens, bolt)
    const answers = await Promise.all(Array.from({ length: 8 }, () => account.get('/v1/account')))
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200))
    expect(refreshes(bolt)).toHaveLength(1)
    expect(bolt.stats).toMatchObject({ accountReads: 8, refreshes: 1, reuseDetected: 0 })
  })

  it('a 401 that the refreshed token does not cure → NOT_AUTHENTICATED, after exactly one refresh', async () => {
    const { bolt, tokens } = await scene()
    bolt.injectFault(
      { type: 'respond', status: 401, body: '{"error":"invalid_token"}' },
      { route: 'account', times: 2 },
    )
    const account = makeClient(tokens, bolt)
    const error = await rejection(account.get('/v1/account'))
    expect(error).toMatchObject({ code: 'NOT_AUTHENTICATED', status: 401 })
    expect(error.message).toContain('GET /v1/account')
    expect(refreshes(bolt)).toHaveLength(1)
  })

  it('a 401 on a session Bolt ended → the refresh is refused: INVALID_GRANT, the session is over', async () => {
    const { bolt, tokens } = await scene()
    bolt.revokeSession(await tokens.getAccessToken(SESSION))
    const account = makeClient(tokens, bolt)
    const error = await rejection(account.get('/v1/account'))
    expect(error.code).toBe('INVALID_GRANT')
    expect(await tokens.getStatus(SESSION)).toMatchObject({ state: 'unauthenticated' })
    // Bolt answers a refused grant 422 (invalid_grant), as its v1 spec documents.
    expect(refreshes(bolt).map((request) => request.status)).toEqual([422])
  })

  it('a session with no tokens → NOT_AUTHENTICATED without calling Bolt', async () => {
    const { bolt, tokens } = await scene()
    await tokens.logout(SESSION)
    const account = makeClient(tokens, bolt)
    expect((await rejection(account.get('/v1/account'))).code).toBe('NOT_AUTHENTICATED')
    expect(bolt.stats).toMatchObject({ accountReads: 0, tokenRequests: 0 })
  })
})

describe('getAccessToken({ rejectedToken })', () => {
  it('refreshes only while the session still holds the refused token', async () => {
    const { bolt, tokens } = await scene()
    const refused = await tokens.getAccessToken(SESSION)
    const [a, b] = await Promise.all([
      tokens.getAccessToken(SESSION, { rejectedToken: refused }),
      tokens.getAccessToken(SESSION, { rejectedToken: refused }),
    ])
    expect(a).toBe(b)
    expect(a).not.toBe(refused)
    // Reporting the old token again changes nothing: the session already holds a newer one.
    expect(await tokens.getAccessToken(SESSION, { rejectedToken: refused })).toBe(a)
    expect(refreshes(bolt)).toHaveLength(1)
  })

  it('with scope bolt.account.manage → SCOPE_REQUIRED without a refresh (it cannot grant manage); the session reads expired', async () => {
    const { bolt, tokens } = await scene()
    const refused = await tokens.getAccessToken(SESSION)
    const error = await rejection(
      tokens.getAccessToken(SESSION, { rejectedToken: refused, scope: 'bolt.account.manage' }),
    )
    expect(error.code).toBe('SCOPE_REQUIRED')
    expect(refreshes(bolt)).toHaveLength(0)
    // Every instance now knows the token is dead: the next caller refreshes it.
    expect(await tokens.getStatus(SESSION)).toMatchObject({ state: 'expired', canManage: false })
    expect(await tokens.getAccessToken(SESSION)).not.toBe(refused)
    expect(refreshes(bolt)).toHaveLength(1)
  })

  it('an empty rejectedToken → INVALID_ARGUMENT', async () => {
    const { tokens } = await scene()
    const error = await rejection(tokens.getAccessToken(SESSION, { rejectedToken: '' }))
    expect(error.code).toBe('INVALID_ARGUMENT')
  })
})

describe('the clients keep the bearer token where it belongs', () => {
  it('createAccountFetch refuses paths that could leave the API root, before any token is read', async () => {
    const { bolt, tokens } = await scene()
    const account = createAccountFetch(tokens, SESSION)
    for (const path of [
      '@evil.example/x',
      '.evil.example/x',
      '//evil.example/x',
      'https://evil.example/x',
      'v1/account',
    ]) {
      const error = await rejection(account(path))
      expect(error.code, path).toBe('INVALID_ARGUMENT')
    }
    expect(bolt.stats).toMatchObject({ accountReads: 0, tokenRequests: 0 })
  })

  it('both clients default to the manager’s baseUrl (the Bolt that issued the tokens)', async () => {
    const { bolt, tokens } = await scene()
    expect(tokens.baseUrl).toBe(bolt.url)
    expect((await createAccountFetch(tokens, SESSION)('/v1/account')).status).toBe(200)
    expect((await createAccountClient(tokens, SESSION).get('v1/account')).status).toBe(200)
    expect(bolt.stats.accountReads).toBe(2)
  })

  it.each([
    ['createAccountFetch', 'fetch'],
    ['createAccountClient (ky)', 'ky'],
  ] as const)('%s: a POST refused with 401 is sent again, body included', async (_name, client) => {
    const { bolt, tokens } = await scene(() => frozen)
    await tokens.getAccessToken(SESSION)
    bolt.advanceClock(PAST_EXPIRY_MS)
    // The real fetch, watched: what each attempt sent.
    const sent: string[] = []
    const watched: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      sent.push(
        `${request.method} ${new URL(request.url).pathname} ${await request.clone().text()}`,
      )
      return fetch(request)
    }
    const body = JSON.stringify(SAMPLE_ADDRESS)
    const attempt =
      client === 'fetch'
        ? createAccountFetch(tokens, SESSION, { fetch: watched })('/v1/account/addresses', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
        : createAccountClient(tokens, SESSION, { ky: ky.create({ fetch: watched }) }).post(
            'v1/account/addresses',
            { body, headers: { 'content-type': 'application/json' } },
          )
    // Refused (401), refreshed (view-only), sent again with its body: Bolt then wants manage.
    expect(await rejection(attempt)).toMatchObject({ code: 'SCOPE_REQUIRED', status: 403 })
    const post = `POST /v1/account/addresses ${body}`
    expect(sent).toEqual([post, post])
    expect(refreshes(bolt)).toHaveLength(1)
  })

  it('ky’s HTTPError for a failed request carries no bearer token', async () => {
    const { bolt, tokens } = await scene()
    const token = await tokens.getAccessToken(SESSION)
    bolt.injectFault(
      { type: 'respond', status: 500, body: '{"error":"server_error"}' },
      { route: 'account' },
    )
    const error = await createAccountClient(tokens, SESSION)
      .get('v1/account')
      .then(
        () => expect.unreachable('a 500 must throw'),
        (thrown: unknown) => thrown as { name: string; request: Request },
      )
    expect(error.name).toBe('HTTPError')
    expect(error.request.headers.get('authorization')).toBeNull()
    expect(inspect(error, { depth: 10 })).not.toContain(token)
  })
})
