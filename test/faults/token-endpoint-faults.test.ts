/**
 * The token endpoint's fault table: every way Bolt's token endpoint (or the road to it) can
 * misbehave, run against a real manager and the emulator, on a refresh and on a code
 * exchange. Each row asserts (a) the error, (b) the stored session afterwards, (c) the
 * requests Bolt saw (retries included) and (d) that the session still works — or has ended.
 *
 * Decisions the rows pin down:
 * - `expires_in` must be a positive JSON number: missing, `0`, negative, `"soon"` and the
 *   string `"3600"` are all INVALID_RESPONSE (Bolt documents an integer; a lenient parse
 *   would hide a broken server). A finite number above 24 h is clamped to 24 h; `1e400`
 *   overflows to Infinity when parsed and is refused like any non-finite number.
 * - Ambiguous failures (reset, stall, malformed 200) are never retried in the same call; the
 *   next call presents the same refresh token again (DESIGN §5 rule 5).
 * - `Retry-After` dates are read against the manager's clock (here the emulator's).
 */
import { describe, expect, it } from 'vitest'
import {
  type BoltEmulator,
  type EmulatorFault,
  faults,
  tokenHash,
} from '../../src/emulator/index.js'
import type { TokenManagerOptions } from '../../src/manager/options.js'
import { accountStatus, managerFor, PAST_EXPIRY_MS, transports } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import {
  createSecretLedger,
  type ExpectedError,
  errorTexts,
  exchangeScene,
  expectEndedThenLogsIn,
  expectError,
  expectKeptExpired,
  expectNextCallRefreshes,
  expectNoTokens,
  leakedSecrets,
  type RefreshScene,
  realRefreshAnswer,
  refreshScene,
  type Scene,
  SESSION,
  seen,
  storedRecord,
  tokenAnswer,
} from './fault-table.js'

const ledger = createSecretLedger()

const DAY_MS = 86_400_000
const KIB = 1024

function respond(status: number, body: unknown, headers?: Record<string, string>): EmulatorFault {
  return {
    type: 'respond',
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(headers === undefined ? {} : { headers }),
  }
}

function oauthError(status: number, error: string, description: string): EmulatorFault {
  return respond(status, { error, error_description: description })
}

/** What a row's fault may depend on: the emulator, and the secret the request presents. */
interface FaultInput {
  now: number
  clientSecret: string
  /** The refresh token (refresh) or the code (code exchange) the request carries. */
  presented: string
}

/**
 * A row whose fault makes the call fail. `seen`: the statuses Bolt saw, per grant (a grant
 * left out does not run the row). `refresh`: what a failed refresh leaves — `kept` (expired,
 * tokens unchanged, the next call refreshes) or `ended` (unauthenticated). A failed code
 * exchange always leaves a session without tokens that a new login restores.
 */
interface FailureRow {
  name: string
  fault: (input: FaultInput) => EmulatorFault
  times?: number
  error: ExpectedError
  seen: { refresh?: number[]; exchange?: number[] }
  refresh?: 'kept' | 'ended'
  manager?: Partial<TokenManagerOptions>
  /** Text the message must contain. */
  says?: string
  /** Further checks, given the call's duration. */
  check?: (error: Error & Record<string, unknown>, elapsedMs: number) => void
}

const invalidResponse = { code: 'INVALID_RESPONSE', status: 200 } as const
const both200 = { refresh: [200], exchange: [200] }
const serverError = (status: number, oauth?: string): ExpectedError => ({
  code: 'SERVER_ERROR',
  status,
  ...(oauth === undefined ? {} : { oauthError: oauth }),
})

const failureRows: FailureRow[] = [
  {
    name: 'malformed JSON (a 200 cut off mid-body)',
    fault: () => faults.malformedJson(),
    error: invalidResponse,
    seen: both200,
    says: 'not a JSON object',
  },
  {
    name: 'an HTML 502 page on every attempt',
    fault: () => faults.html(502),
    times: 3,
    error: serverError(502),
    seen: { refresh: [502, 502, 502], exchange: [502] },
    says: 'a text/html body, not JSON',
  },
  {
    name: 'an HTML 504 page on every attempt',
    fault: () => faults.html(504),
    times: 3,
    error: serverError(504),
    seen: { refresh: [504, 504, 504], exchange: [504] },
    says: 'a text/html body, not JSON',
  },
  {
    name: '200 without access_token',
    fault: () => faults.missingAccessToken(),
    error: invalidResponse,
    seen: both200,
    says: '`access_token` is missing',
  },
  {
    name: 'expires_in: missing',
    fault: () => respond(200, tokenAnswer({ expires_in: undefined })),
    error: invalidResponse,
    seen: both200,
    says: '`expires_in` is not a positive number',
  },
  {
    name: 'expires_in: negative',
    fault: () => respond(200, tokenAnswer({ expires_in: -3600 })),
    error: invalidResponse,
    seen: both200,
    says: '`expires_in` is not a positive number',
  },
  {
    name: 'expires_in: zero',
    fault: () => respond(200, tokenAnswer({ expires_in: 0 })),
    error: invalidResponse,
    seen: both200,
    says: '`expires_in` is not a positive number',
  },
  {
    name: 'expires_in: non-numeric ("soon")',
    fault: () => respond(200, tokenAnswer({ expires_in: 'soon' })),
    error: invalidResponse,
    seen: both200,
    says: '`expires_in` is not a positive number',
  },
  {
    name: 'expires_in: the string "3600" (the validator requires a JSON number)',
    fault: () => respond(200, tokenAnswer({ expires_in: '3600' })),
    error: invalidResponse,
    seen: both200,
    says: '`expires_in` is not a positive number',
  },
  {
    name: 'expires_in: 1e400 (Infinity once parsed: refused, not clamped)',
    fault: () =>
      respond(
        200,
        JSON.stringify(tokenAnswer({ expires_in: 0 })).replace(
          '"expires_in":0',
          '"expires_in":1e400',
        ),
      ),
    error: invalidResponse,
    seen: both200,
    says: '`expires_in` is not a positive number',
  },
  {
    name: 'token_type: "mac", not bearer',
    fault: () => respond(200, tokenAnswer({ token_type: 'mac' })),
    error: invalidResponse,
    seen: both200,
    says: '`token_type` is not "bearer"',
  },
  {
    name: 'token_type: missing',
    fault: () => respond(200, tokenAnswer({ token_type: undefined })),
    error: invalidResponse,
    seen: both200,
    says: '`token_type` is not "bearer"',
  },
  {
    name: 'refresh_token: missing from a code exchange answer',
    fault: () =>
      respond(200, tokenAnswer({ refresh_token: undefined, scope: 'bolt.account.manage' })),
    error: invalidResponse,
    seen: { exchange: [200] },
    says: '`refresh_token` is missing',
  },
  {
    name: 'a JSON array body',
    fault: () => respond(200, [tokenAnswer()]),
    error: invalidResponse,
    seen: both200,
    says: 'not a JSON object',
  },
  {
    name: 'a null body',
    fault: () => respond(200, 'null'),
    error: invalidResponse,
    seen: both200,
    says: 'not a JSON object',
  },
  {
    name: 'an empty 200 body',
    fault: () => respond(200, ''),
    error: invalidResponse,
    seen: both200,
    says: 'not a JSON object',
  },
  {
    name: 'a 100 KiB body (over the 64 KiB cap) → the read is aborted',
    fault: () => respond(200, tokenAnswer({ padding: 'x'.repeat(100 * KIB) })),
    error: { code: 'INVALID_RESPONSE' },
    seen: both200,
    says: 'over 65536 bytes; the read was aborted',
    check: (error) => {
      expect((error.cause as Error).name).toBe('ResponseTooLargeError')
    },
  },
  {
    name: 'a chunked body that passes the cap and never ends → aborted at 64 KiB, not at the deadline',
    fault: () => ({ type: 'stall', body: `{"padding":"${'x'.repeat(100 * KIB)}` }),
    error: { code: 'INVALID_RESPONSE' },
    seen: { refresh: [0], exchange: [0] },
    manager: { timeoutMs: 5_000 },
    says: 'the read was aborted',
    check: (error, elapsedMs) => {
      expect((error.cause as Error).name).toBe('ResponseTooLargeError')
      expect(elapsedMs).toBeLessThan(2_500)
    },
  },
  {
    name: 'a body that never finishes (stall) → the deadline fires',
    fault: () => faults.stall(),
    error: { code: 'TIMEOUT' },
    seen: { refresh: [0], exchange: [0] },
    manager: { timeoutMs: 300 },
    says: 'within 300 ms',
    check: (_, elapsedMs) => {
      expect(elapsedMs).toBeGreaterThanOrEqual(280)
      expect(elapsedMs).toBeLessThan(2_000)
    },
  },
  {
    name: '429, Retry-After: 30 (seconds) → no retry inside the lease',
    fault: () => faults.rateLimited('30'),
    error: { code: 'RATE_LIMITED', status: 429, oauthError: 'rate_limited', retryAfterMs: 30_000 },
    seen: { refresh: [429], exchange: [429] },
  },
  {
    name: '429, Retry-After: an HTTP date 30 s ahead → no retry inside the lease',
    fault: ({ now }) => faults.rateLimited(new Date(now + 30_000).toUTCString()),
    error: {
      code: 'RATE_LIMITED',
      status: 429,
      oauthError: 'rate_limited',
      retryAfterMs: expect.any(Number),
    },
    seen: { refresh: [429], exchange: [429] },
    check: (error) => {
      // HTTP dates have whole seconds, and some milliseconds pass before the answer is read.
      expect(error.retryAfterMs).toBeGreaterThan(28_000)
      expect(error.retryAfterMs).toBeLessThanOrEqual(30_000)
    },
  },
  {
    name: '429, Retry-After: 1.5 (not a valid value) → ignored, not read as a date in 2001',
    fault: () => faults.rateLimited('1.5'),
    times: 3,
    error: { code: 'RATE_LIMITED', status: 429, oauthError: 'rate_limited' },
    seen: { refresh: [429, 429, 429], exchange: [429, 429, 429] },
  },
  {
    name: 'HTTP 500 on every attempt (a code exchange is never retried)',
    fault: () => faults.serverError(500),
    times: 3,
    error: serverError(500, 'server_error'),
    seen: { refresh: [500, 500, 500], exchange: [500] },
  },
  {
    name: 'HTTP 503 on every attempt (a code exchange is never retried)',
    fault: () => oauthError(503, 'temporarily_unavailable', 'The service is down for maintenance'),
    times: 3,
    error: serverError(503, 'temporarily_unavailable'),
    seen: { refresh: [503, 503, 503], exchange: [503] },
    says: '"The service is down for maintenance"',
  },
  {
    name: 'connection reset before Bolt processed it (drop before) → ambiguous, not retried',
    fault: () => ({ type: 'drop', when: 'before' }),
    error: { code: 'NETWORK_ERROR' },
    seen: { refresh: [0], exchange: [0] },
    says: 'Bolt may or may not have processed it',
  },
  {
    name: 'invalid_grant',
    fault: () => oauthError(400, 'invalid_grant', 'The grant is invalid'),
    error: { code: 'INVALID_GRANT', status: 400, oauthError: 'invalid_grant' },
    seen: { refresh: [400], exchange: [400] },
    refresh: 'ended',
  },
  {
    name: "Bolt's 422 invalid_grant",
    fault: () => oauthError(422, 'invalid_grant', 'The grant is invalid'),
    error: { code: 'INVALID_GRANT', status: 422, oauthError: 'invalid_grant' },
    seen: { refresh: [422], exchange: [422] },
    refresh: 'ended',
  },
  {
    name: "Bolt's own 422 example, spelled 'invalid _grant' (with a space) → still INVALID_GRANT",
    fault: () => oauthError(422, 'invalid _grant', 'The grant is invalid'),
    error: { code: 'INVALID_GRANT', status: 422, oauthError: 'invalid _grant' },
    seen: { refresh: [422], exchange: [422] },
    refresh: 'ended',
  },
  {
    name: 'a 422 whatever its body (an HTML page) → the grant was refused',
    fault: () => respond(422, '<html>Unprocessable</html>', { 'content-type': 'text/html' }),
    error: { code: 'INVALID_GRANT', status: 422 },
    seen: { refresh: [422], exchange: [422] },
    refresh: 'ended',
  },
  {
    name: "Bolt's 403 request_forbidden → INVALID_CLIENT, with what to check",
    fault: () => oauthError(403, 'request_forbidden', 'you are not allowed to perform this action'),
    error: { code: 'INVALID_CLIENT', status: 403, oauthError: 'request_forbidden' },
    seen: { refresh: [403], exchange: [403] },
    says: 'Bolt refused this merchant: check clientId',
  },
  {
    name: "Bolt's 403 unsupported_grant_type → INVALID_REQUEST",
    fault: () => oauthError(403, 'unsupported_grant_type', 'Unknown grant_type'),
    error: { code: 'INVALID_REQUEST', status: 403, oauthError: 'unsupported_grant_type' },
    seen: { refresh: [403], exchange: [403] },
  },
  {
    name: 'a 404 (a baseUrl that ends in /v1) → check baseUrl, naming the URL posted to, not the scope',
    fault: () => respond(404, '<html>Not Found</html>', { 'content-type': 'text/html' }),
    error: { code: 'INVALID_REQUEST', status: 404 },
    seen: { refresh: [404], exchange: [404] },
    says: '/v1/oauth/token: check baseUrl',
    check: (error) => expect(error.message).not.toContain('check the scope'),
  },
  {
    name: 'invalid_client',
    fault: () => oauthError(401, 'invalid_client', 'Client authentication failed'),
    error: { code: 'INVALID_CLIENT', status: 401, oauthError: 'invalid_client' },
    seen: { refresh: [401], exchange: [401] },
    says: 'check clientId (the publishable key)',
  },
  {
    name: 'invalid_request',
    fault: () => oauthError(400, 'invalid_request', 'scope is required'),
    error: { code: 'INVALID_REQUEST', status: 400, oauthError: 'invalid_request' },
    seen: { refresh: [400], exchange: [400] },
  },
  {
    name: 'invalid_scope',
    fault: () => oauthError(400, 'invalid_scope', 'The scope is not allowed'),
    error: { code: 'INVALID_REQUEST', status: 400, oauthError: 'invalid_scope' },
    seen: { refresh: [400], exchange: [400] },
  },
  {
    name: 'unsupported_grant_type',
    fault: () => oauthError(400, 'unsupported_grant_type', 'Unknown grant_type'),
    error: { code: 'INVALID_REQUEST', status: 400, oauthError: 'unsupported_grant_type' },
    seen: { refresh: [400], exchange: [400] },
  },
  {
    name: `Bolt's {".tag": "invalid_grant", message} shape, echoing the secrets it was sent`,
    fault: ({ presented, clientSecret }) =>
      respond(403, {
        '.tag': 'invalid_grant',
        message: `Grant ${presented} is not valid for key ${clientSecret}`,
      }),
    error: { code: 'INVALID_GRANT', status: 403, oauthError: 'invalid_grant' },
    seen: { refresh: [403], exchange: [403] },
    refresh: 'ended',
    says: '"Grant [redacted] is not valid for key [redacted]"',
  },
]

type Create = (typeof transports)[number]['create']

function checkRowError(row: FailureRow, error: Error & Record<string, unknown>, elapsedMs: number) {
  expectError(error, row.error)
  if (row.says !== undefined) expect(error.message).toContain(row.says)
  row.check?.(error, elapsedMs)
  expect(leakedSecrets(ledger, error)).toEqual([])
}

/**
 * Injects the row's fault (for a request presenting `presented`), makes `call`, records its
 * error under `label` and checks it against the row (timed from the call's start).
 */
async function failWithRowFault(
  row: FailureRow,
  bolt: BoltEmulator,
  presented: string,
  call: () => Promise<unknown>,
  label: string,
) {
  const input = { now: bolt.now(), clientSecret: bolt.clientSecret, presented }
  bolt.injectFault(row.fault(input), { times: row.times ?? 1 })
  const started = performance.now()
  const error = await rejection(call())
  const elapsedMs = performance.now() - started
  ledger.recordError(label, error)
  checkRowError(row, error as Error & Record<string, unknown>, elapsedMs)
}

async function failRefresh(row: FailureRow, create: Create, label: string) {
  const scene = await refreshScene(ledger, create, { manager: row.manager })
  await failWithRowFault(
    row,
    scene.bolt,
    scene.presented,
    () => scene.tokens.getAccessToken(SESSION),
    label,
  )

  expect(seen(scene.bolt)).toEqual(row.seen.refresh)
  expect(scene.bolt.requests.map((request) => request.refreshTokenHash)).toEqual(
    row.seen.refresh?.map(() => tokenHash(scene.presented)),
  )
  if ((row.refresh ?? 'kept') === 'kept') {
    await expectKeptExpired(scene, row.error)
    expect((await scene.tokens.getStatus(SESSION)).lastError?.code).toBe(row.error.code)
    // Bolt asked this instance to wait (Retry-After): its refreshes now wait that long in line
    // (test/herd/refresh-line.test.ts); another instance on the store refreshes at once.
    const waitAsked = row.error.code === 'RATE_LIMITED' && row.error.retryAfterMs !== undefined
    const next = waitAsked
      ? managerFor(scene.bolt, scene.http, {
          store: scene.store,
          logger: ledger.logger,
          ...row.manager,
        })
      : scene.tokens
    await expectNextCallRefreshes(scene, next)
  } else {
    await expectNoTokens(scene.store, row.error)
    await expectEndedThenLogsIn(scene, ledger, label)
  }
}

async function failExchange(row: FailureRow, create: Create, label: string) {
  const scene = await exchangeScene(ledger, create, { manager: row.manager })
  await failWithRowFault(
    row,
    scene.bolt,
    scene.code,
    () => scene.tokens.exchangeCode(SESSION, { code: scene.code }),
    label,
  )

  expect(seen(scene.bolt)).toEqual(row.seen.exchange)
  expect(scene.bolt.stats.codeExchanges).toBe(0)
  await expectNoTokens(scene.store, row.error)
  await expectEndedThenLogsIn(scene, ledger, label)
}

const REFRESHED = expect.objectContaining({ grantType: 'refresh_token', status: 200 })

/** Past the access token's expiry the next call refreshes: Bolt's last request is a 200 refresh. */
async function expectRefreshAfterExpiry(scene: Scene) {
  scene.bolt.advanceClock(PAST_EXPIRY_MS)
  await scene.tokens.getAccessToken(SESSION)
  expect(scene.bolt.requests.at(-1)).toEqual(REFRESHED)
}

/**
 * Bolt answers the refresh with `answer` (a real refresh answer without a usable
 * refresh_token) and processes nothing: the caller gets its access token, and the session is
 * view-only, keeping the refresh token it presented. Returns the token and the stored record.
 */
async function expectAnswerKeepsPresentedRefreshToken(
  scene: RefreshScene,
  answer: Record<string, unknown>,
) {
  scene.bolt.resetStats()
  scene.bolt.injectFault(respond(200, answer))

  const token = await scene.tokens.getAccessToken(SESSION)

  expect(token).toBe(answer.access_token)
  expect(seen(scene.bolt)).toEqual([200])
  const stored = await storedRecord(scene.store)
  expect(stored).toMatchObject({ value: 'viewOnly', context: { lease: null, lastError: null } })
  expect(stored?.context.tokens?.refreshToken).toBe(scene.presented)
  return { token, stored }
}

describe.each(transports)('token endpoint faults over $name', ({ name: transport, create }) => {
  describe('on refresh', () => {
    for (const row of failureRows) {
      if (row.seen.refresh === undefined) continue
      const outcome = (row.refresh ?? 'kept') === 'kept' ? 'kept' : 'session ends'
      it(`${row.name} → ${row.error.code}, ${outcome}`, async () => {
        await failRefresh(row, create, `${transport} refresh: ${row.name}`)
      })
    }

    it('expires_in: absurdly large → clamped to 24 h', async () => {
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ set: { expires_in: 10 * 365 * 86_400 } }))
      const sentFrom = scene.bolt.now()

      const token = await scene.tokens.getAccessToken(SESSION)

      const stored = (await storedRecord(scene.store))?.context.tokens
      expect(stored?.accessToken).toBe(token)
      expect((stored?.expiresAt ?? 0) - (stored?.obtainedAt ?? 0)).toBe(DAY_MS)
      expect(stored?.obtainedAt).toBeGreaterThanOrEqual(sentFrom)
      expect(stored?.obtainedAt).toBeLessThanOrEqual(scene.bolt.now())
      expect(seen(scene.bolt)).toEqual([200])
      // Trusted for 24 h less the skew, then refreshed with the (real) rotated refresh token.
      scene.bolt.advanceClock(DAY_MS - 120_000)
      expect(await scene.tokens.getAccessToken(SESSION)).toBe(token)
      scene.bolt.advanceClock(120_000)
      expect(await scene.tokens.getAccessToken(SESSION)).not.toBe(token)
      expect(scene.bolt.requests.at(-1)).toMatchObject({
        refreshTokenHash: tokenHash(stored?.refreshToken ?? ''),
        status: 200,
      })
      expect(scene.bolt.stats).toMatchObject({ refreshes: 2, reuseDetected: 0 })
    })

    it('token_type: "Bearer" (another case) is accepted', async () => {
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ set: { token_type: 'Bearer' } }))
      const token = await scene.tokens.getAccessToken(SESSION)
      expect(seen(scene.bolt)).toEqual([200])
      expect((await storedRecord(scene.store))?.value).toBe('viewOnly')
      expect(await accountStatus(scene.bolt, token, 'read')).toBe(200)
    })

    it('scope: missing → the view scope the refresh asked for', async () => {
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ omit: ['scope'] }))
      const token = await scene.tokens.getAccessToken(SESSION)
      expect(seen(scene.bolt)).toEqual([200])
      const stored = await storedRecord(scene.store)
      expect(stored).toMatchObject({ value: 'viewOnly', context: { lease: null, lastError: null } })
      expect(stored?.context.tokens?.scopes).toEqual(['bolt.account.view'])
      expect(await scene.tokens.getStatus(SESSION)).toMatchObject({ canManage: false })
      expect(await accountStatus(scene.bolt, token, 'read')).toBe(200)
    })

    it('refresh_token: missing → the old one is kept and still works', async () => {
      const scene = await refreshScene(ledger, create)
      // A real refresh answer (its access token reads the account) without a refresh_token,
      // as a server that does not rotate sends it; the emulator processes nothing, so the
      // presented refresh token stays valid there.
      const { refresh_token: _, ...answer } = await realRefreshAnswer(scene.bolt, ledger)

      const { token, stored } = await expectAnswerKeepsPresentedRefreshToken(scene, answer)

      expect(stored?.context.tokens?.idToken).toBe(scene.before.context.tokens?.idToken)
      expect(await accountStatus(scene.bolt, token, 'read')).toBe(200)

      scene.bolt.advanceClock(PAST_EXPIRY_MS)
      const next = await scene.tokens.getAccessToken(SESSION)
      expect(next).not.toBe(token)
      expect(scene.bolt.requests.at(-1)).toMatchObject({
        refreshTokenHash: tokenHash(scene.presented),
        status: 200,
      })
      expect(scene.bolt.stats).toMatchObject({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 })
    })

    it('refresh_token: null → treated as missing: the old one is kept and still works', async () => {
      const scene = await refreshScene(ledger, create)
      const answer: Record<string, unknown> = {
        ...(await realRefreshAnswer(scene.bolt, ledger)),
        refresh_token: null,
      }

      const { token } = await expectAnswerKeepsPresentedRefreshToken(scene, answer)

      scene.bolt.advanceClock(PAST_EXPIRY_MS)
      expect(await scene.tokens.getAccessToken(SESSION)).not.toBe(token)
      expect(scene.bolt.requests.at(-1)).toMatchObject({
        refreshTokenHash: tokenHash(scene.presented),
        status: 200,
      })
    })

    it('id_token: null → read as absent: the id token of the login is kept', async () => {
      // A real rotation whose answer says `"id_token": null`: refusing it would leave the
      // session holding a spent refresh token.
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ set: { id_token: null } }))

      const token = await scene.tokens.getAccessToken(SESSION)

      expect(seen(scene.bolt)).toEqual([200])
      const stored = await storedRecord(scene.store)
      expect(stored).toMatchObject({ value: 'viewOnly', context: { lease: null, lastError: null } })
      expect(stored?.context.tokens?.accessToken).toBe(token)
      expect(stored?.context.tokens?.idToken).toBe(scene.before.context.tokens?.idToken)
      await expectRefreshAfterExpiry(scene)
      expect(scene.bolt.stats).toMatchObject({ refreshes: 2, reuseDetected: 0 })
    })

    it('429, Retry-After: 1 (once) → retried after ~1 s, succeeds', async () => {
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault(faults.rateLimited('1'))
      const started = performance.now()

      const token = await scene.tokens.getAccessToken(SESSION)

      expect(performance.now() - started).toBeGreaterThanOrEqual(950)
      expect(seen(scene.bolt)).toEqual([429, 200])
      expect(scene.bolt.requests.map((request) => request.refreshTokenHash)).toEqual([
        tokenHash(scene.presented),
        tokenHash(scene.presented),
      ])
      const stored = await storedRecord(scene.store)
      expect(stored).toMatchObject({ value: 'viewOnly', context: { lease: null, lastError: null } })
      expect(stored?.context.tokens?.accessToken).toBe(token)
      expect(await accountStatus(scene.bolt, token, 'read')).toBe(200)
    })

    it('429, Retry-After: an HTTP date already past → retried at once, succeeds', async () => {
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault(faults.rateLimited(new Date(scene.bolt.now() - 60_000).toUTCString()))
      const started = performance.now()
      await scene.tokens.getAccessToken(SESSION)
      expect(performance.now() - started).toBeLessThan(900)
      expect(seen(scene.bolt)).toEqual([429, 200])
      expect((await storedRecord(scene.store))?.value).toBe('viewOnly')
    })

    for (const [status, fault] of [
      [500, faults.serverError(500)],
      [503, oauthError(503, 'temporarily_unavailable', 'Down for maintenance')],
    ] as const) {
      it(`HTTP ${status} once → retried, succeeds`, async () => {
        const scene = await refreshScene(ledger, create)
        scene.bolt.injectFault(fault)
        const token = await scene.tokens.getAccessToken(SESSION)
        expect(seen(scene.bolt)).toEqual([status, 200])
        const hash = tokenHash(scene.presented)
        expect(scene.bolt.requests.every((r) => r.refreshTokenHash === hash)).toBe(true)
        const stored = await storedRecord(scene.store)
        expect(stored).toMatchObject({
          value: 'viewOnly',
          context: { lease: null, lastError: null },
        })
        expect(await accountStatus(scene.bolt, token, 'read')).toBe(200)
      })
    }

    it('connection refused (nothing listening) → retried, then NETWORK_ERROR "Nothing was sent", kept', async () => {
      const scene = await refreshScene(ledger, create)
      scene.http.refuse = true

      const error = await rejection(scene.tokens.getAccessToken(SESSION))
      ledger.recordError(`${transport} refresh: connection refused`, error)

      expectError(error, { code: 'NETWORK_ERROR' })
      expect(error.message).toContain('Nothing was sent')
      expect(error.message).toContain('ECONNREFUSED')
      expect(scene.http.sends).toBe(3)
      expect(seen(scene.bolt)).toEqual([])
      await expectKeptExpired(scene, { code: 'NETWORK_ERROR' })
      await expectNextCallRefreshes(scene)
    })

    it('connection reset after Bolt rotated (drop after), grace window ON → the next call presents the spent token and works', async () => {
      const scene = await refreshScene(ledger, create, { emulator: { refreshGraceMs: 60_000 } })
      scene.bolt.injectFault({ type: 'drop', when: 'after' })

      const error = await rejection(scene.tokens.getAccessToken(SESSION))
      ledger.recordError(`${transport} refresh: drop after, grace on`, error)

      expectError(error, { code: 'NETWORK_ERROR' })
      expect(error.message).toContain('Bolt may or may not have processed it')
      expect(seen(scene.bolt)).toEqual([0])
      expect(scene.bolt.stats.refreshes).toBe(1)
      await expectKeptExpired(scene, { code: 'NETWORK_ERROR' })

      await expectNextCallRefreshes(scene)
      expect(scene.bolt.stats).toMatchObject({ refreshes: 1, graceReissues: 1, reuseDetected: 0 })
      const token = await scene.tokens.getAccessToken(SESSION)
      expect(await accountStatus(scene.bolt, token, 'read')).toBe(200)
      // The reissued refresh token is the live one of the family.
      await expectRefreshAfterExpiry(scene)
      expect(scene.bolt.stats).toMatchObject({ refreshes: 2, reuseDetected: 0 })
    })

    it('connection reset after Bolt rotated (drop after), grace window OFF → the next call is INVALID_GRANT and the session ends', async () => {
      const scene = await refreshScene(ledger, create)
      scene.bolt.injectFault({ type: 'drop', when: 'after' })

      const lost = await rejection(scene.tokens.getAccessToken(SESSION))
      ledger.recordError(`${transport} refresh: drop after, grace off`, lost)
      expectError(lost, { code: 'NETWORK_ERROR' })
      expect(seen(scene.bolt)).toEqual([0])
      await expectKeptExpired(scene, { code: 'NETWORK_ERROR' })

      const error = await rejection(scene.tokens.getAccessToken(SESSION))
      ledger.recordError(`${transport} refresh: drop after, grace off, retry`, error)

      expectError(error, { code: 'INVALID_GRANT', status: 422, oauthError: 'invalid_grant' })
      expect(seen(scene.bolt)).toEqual([0, 422])
      expect(scene.bolt.requests.map((r) => r.refreshTokenHash)).toEqual([
        tokenHash(scene.presented),
        tokenHash(scene.presented),
      ])
      expect(scene.bolt.stats).toMatchObject({ refreshes: 1, reuseDetected: 1 })
      expect(leakedSecrets(ledger, error)).toEqual([])
      await expectNoTokens(scene.store, { code: 'INVALID_GRANT' })
      await expectEndedThenLogsIn(scene, ledger, `${transport} refresh: drop after, grace off`)
    })
  })

  describe('on code exchange', () => {
    for (const row of failureRows) {
      if (row.seen.exchange === undefined) continue
      it(`${row.name} → ${row.error.code}, no tokens`, async () => {
        await failExchange(row, create, `${transport} exchange: ${row.name}`)
      })
    }

    it('expires_in: absurdly large → clamped to 24 h', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ set: { expires_in: 10 * 365 * 86_400 } }))
      const sentFrom = scene.bolt.now()

      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })

      expect(status).toMatchObject({ state: 'fullyScoped', canManage: true })
      const stored = (await storedRecord(scene.store))?.context.tokens
      expect((stored?.expiresAt ?? 0) - (stored?.obtainedAt ?? 0)).toBe(DAY_MS)
      expect(status.expiresAt).toBe(stored?.expiresAt)
      expect(stored?.obtainedAt).toBeGreaterThanOrEqual(sentFrom)
      expect(seen(scene.bolt)).toEqual([200])
      scene.bolt.advanceClock(DAY_MS)
      await scene.tokens.getAccessToken(SESSION)
      expect(scene.bolt.requests.at(-1)).toMatchObject({
        refreshTokenHash: tokenHash(stored?.refreshToken ?? ''),
        status: 200,
      })
    })

    it('scope: missing → keeps the requested scope (manage + openid)', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ omit: ['scope'] }))

      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })

      expect(status).toMatchObject({
        state: 'fullyScoped',
        scopes: ['bolt.account.manage', 'openid'],
        canManage: true,
      })
      expect(seen(scene.bolt)).toEqual([200])
      const token = await scene.tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' })
      expect(await accountStatus(scene.bolt, token, 'write')).toBe(200)
    })

    it('scope: narrower than asked (openid only) → viewOnly, canManage false', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ set: { scope: 'openid' } }))

      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })

      expect(status).toMatchObject({ state: 'viewOnly', scopes: ['openid'], canManage: false })
      expect(seen(scene.bolt)).toEqual([200])
      const stored = await storedRecord(scene.store)
      expect(stored).toMatchObject({ value: 'viewOnly', context: { lease: null, lastError: null } })
      expect(stored?.context.tokens?.scopes).toEqual(['openid'])
      const refused = await rejection(
        scene.tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' }),
      )
      ledger.recordError(`${transport} exchange: narrower scope`, refused)
      expect(refused.code).toBe('SCOPE_REQUIRED')
      expect(await scene.tokens.getAccessToken(SESSION)).toBe(stored?.context.tokens?.accessToken)
      await expectRefreshAfterExpiry(scene)
    })

    it('id_token: null → read as absent: logged in without an id token', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(faults.transform({ set: { id_token: null } }))

      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })

      expect(status).toMatchObject({ state: 'fullyScoped', canManage: true, lastError: null })
      expect(seen(scene.bolt)).toEqual([200])
      const stored = await storedRecord(scene.store)
      expect(stored?.context.tokens).not.toHaveProperty('idToken')
      const token = await scene.tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' })
      expect(await accountStatus(scene.bolt, token, 'write')).toBe(200)
    })

    it('a state Bolt refuses (400 invalid_request) → the advice names the state, not a bug report', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(oauthError(400, 'invalid_request', 'state does not match'))

      const error = await rejection(
        scene.tokens.exchangeCode(SESSION, { code: scene.code, state: 'forwarded-state' }),
      )

      expectError(error, { code: 'INVALID_REQUEST', status: 400, oauthError: 'invalid_request' })
      expect(error.message).toContain('that `state` is the one the login modal returned')
      expect(error.message).not.toContain('report it as a bug')
      expect(seen(scene.bolt)).toEqual([400])
    })

    it('429, Retry-After: 1 (once) → retried after ~1 s, succeeds', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(faults.rateLimited('1'))
      const started = performance.now()

      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })

      expect(performance.now() - started).toBeGreaterThanOrEqual(950)
      expect(seen(scene.bolt)).toEqual([429, 200])
      expect(status).toMatchObject({ state: 'fullyScoped', canManage: true, lastError: null })
      expect(scene.bolt.stats.codeExchanges).toBe(1)
    })

    it('429, Retry-After: an HTTP date already past → retried at once, succeeds', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault(faults.rateLimited(new Date(scene.bolt.now() - 60_000).toUTCString()))
      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })
      expect(seen(scene.bolt)).toEqual([429, 200])
      expect(status.state).toBe('fullyScoped')
    })

    it('connection refused (nothing listening) → retried, then NETWORK_ERROR "Nothing was sent"; the code still works', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.http.refuse = true

      const error = await rejection(scene.tokens.exchangeCode(SESSION, { code: scene.code }))
      ledger.recordError(`${transport} exchange: connection refused`, error)

      expectError(error, { code: 'NETWORK_ERROR' })
      expect(error.message).toContain('Nothing was sent')
      expect(scene.http.sends).toBe(3)
      expect(seen(scene.bolt)).toEqual([])
      await expectNoTokens(scene.store, { code: 'NETWORK_ERROR' })

      scene.http.refuse = false
      const status = await scene.tokens.exchangeCode(SESSION, { code: scene.code })
      expect(status).toMatchObject({ state: 'fullyScoped', canManage: true, lastError: null })
      expect(seen(scene.bolt)).toEqual([200])
    })

    it('connection reset after Bolt used the code (drop after) → NETWORK_ERROR, not retried; the code is spent', async () => {
      const scene = await exchangeScene(ledger, create)
      scene.bolt.injectFault({ type: 'drop', when: 'after' })

      const error = await rejection(scene.tokens.exchangeCode(SESSION, { code: scene.code }))
      ledger.recordError(`${transport} exchange: drop after`, error)

      expectError(error, { code: 'NETWORK_ERROR' })
      expect(error.message).toContain('Bolt may or may not have processed it')
      expect(seen(scene.bolt)).toEqual([0])
      expect(scene.bolt.stats.codeExchanges).toBe(1)
      await expectNoTokens(scene.store, { code: 'NETWORK_ERROR' })

      const replayed = await rejection(scene.tokens.exchangeCode(SESSION, { code: scene.code }))
      ledger.recordError(`${transport} exchange: drop after, replayed`, replayed)
      expectError(replayed, { code: 'INVALID_GRANT', status: 422, oauthError: 'invalid_grant' })
      expect(leakedSecrets(ledger, replayed)).toEqual([])
      await expectNoTokens(scene.store, { code: 'INVALID_GRANT' })
      await expectEndedThenLogsIn(scene, ledger, `${transport} exchange: drop after`)
    })
  })
})

describe('secrets', () => {
  it('no error of any row, and no log line, shows the client secret, a code or a token', () => {
    expect(ledger.errors.length).toBeGreaterThanOrEqual(failureRows.length * 2)
    expect(ledger.secrets).toContain('sk_emulator_api_key')
    const secrets = [...ledger.secrets]
    expect(secrets.filter((secret) => secret.startsWith('code_')).length).toBeGreaterThan(50)
    expect(secrets.filter((secret) => secret.startsWith('rt_')).length).toBeGreaterThan(50)
    expect(secrets.filter((secret) => secret.startsWith('at_')).length).toBeGreaterThan(50)
    const leaks = ledger.errors.flatMap(({ row, error }) =>
      leakedSecrets(ledger, error).map((secret) => `${row}: ${secret.slice(0, 8)}…`),
    )
    expect(leaks).toEqual([])
    // And every log line the managers wrote through the logger option on the way.
    expect(ledger.logLines.length).toBeGreaterThan(failureRows.length)
    expect(ledger.logLines.some((line) => line.startsWith('info retrying a token request'))).toBe(
      true,
    )
    const loggedLeaks = secrets.filter((secret) =>
      ledger.logLines.some((line) => line.includes(secret)),
    )
    expect(loggedLeaks.map((secret) => `${secret.slice(0, 8)}…`)).toEqual([])
    // The sweep reads what it claims to: every error has a message, a stack and a JSON form.
    for (const { error } of ledger.errors) {
      const [message, stack, json] = errorTexts(error)
      expect(message?.length).toBeGreaterThan(0)
      expect(stack).toContain('BoltTokenError')
      expect(json).toContain('"code"')
    }
  })
})
