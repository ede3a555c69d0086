/**
 * Shared pieces of the fault tables: a transport that records every token Bolt sent (for the
 * secrets sweep) and can aim at a closed port (connection refused), the two scenes a row
 * runs in (a refresh of an expired session, a first code exchange), token answers to break
 * field by field, and the assertions on the stored session.
 */

import { createServer } from 'node:net'
import { inspect } from 'node:util'
import { expect } from 'vitest'
import { createMemoryStore, type MemoryStore } from '../../adapters/storage/memory.js'
import type { HttpRequest, HttpResponse, HttpTransport, TokenStore } from '../../src/contracts.js'
import { type BoltEmulator, type BoltEmulatorOptions, tokenHash } from '../../src/emulator/index.js'
import { EMULATOR_DEFAULTS } from '../../src/emulator/options.js'
import type { ErrorCode } from '../../src/errors.js'
import type { Logger } from '../../src/manager/logger.js'
import type { TokenManagerOptions } from '../../src/manager/options.js'
import { decodeSessionRecord, type SessionRecord } from '../../src/manager/session-record.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

/** The session every row uses. */
export const SESSION = 's1'

/** Every secret the tests saw go by, and every error the rows threw, for the secrets sweep. */
export interface SecretLedger {
  /** The client secrets, codes and tokens recorded so far. */
  readonly secrets: ReadonlySet<string>
  /** The errors recorded so far, with the row that threw them. */
  readonly errors: readonly { row: string; error: unknown }[]
  add(secret: string | undefined): void
  /** Records the token fields of a token answer (real or faulted). */
  addAnswer(body: string): void
  /** Stands in for the login modal, recording the code. */
  login(bolt: BoltEmulator, options?: Parameters<BoltEmulator['login']>[0]): string
  recordError(row: string, error: unknown): void
  /** Every line the managers' `logger` received, as printed. */
  readonly logLines: readonly string[]
  /** A pino-style logger whose lines land in {@link logLines}. */
  readonly logger: Logger
}

const TOKEN_FIELDS = ['access_token', 'refresh_token', 'id_token'] as const

/** Creates an empty {@link SecretLedger}. */
export function createSecretLedger(): SecretLedger {
  const secrets = new Set<string>()
  const errors: { row: string; error: unknown }[] = []
  const logLines: string[] = []
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => {
    logLines.push(`${level} ${message} ${JSON.stringify(fields)} ${inspect(fields, { depth: 10 })}`)
  }
  const ledger: SecretLedger = {
    secrets,
    errors,
    logLines,
    logger: {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
    },
    add(secret) {
      if (secret !== undefined && secret.length > 0) secrets.add(secret)
    },
    addAnswer(body) {
      let json: unknown
      try {
        json = JSON.parse(body)
      } catch {
        return
      }
      for (const item of Array.isArray(json) ? json : [json]) {
        if (typeof item !== 'object' || item === null) continue
        for (const field of TOKEN_FIELDS) {
          const value = (item as Record<string, unknown>)[field]
          if (typeof value === 'string') ledger.add(value)
        }
      }
    },
    login(bolt, options) {
      ledger.add(bolt.clientSecret)
      const { code } = bolt.login(options)
      ledger.add(code)
      return code
    },
    recordError(row, error) {
      errors.push({ row, error })
    },
  }
  return ledger
}

/** Everything an error shows of itself: message, stack, JSON and a deep inspection. */
export function errorTexts(error: unknown): string[] {
  const { message, stack } = error as { message?: unknown; stack?: unknown }
  return [String(message), String(stack), JSON.stringify(error), inspect(error, { depth: 10 })]
}

/** The secrets of `ledger` that `error` shows anywhere (none, if all is well). */
export function leakedSecrets(ledger: SecretLedger, error: unknown): string[] {
  const text = errorTexts(error).join('\n')
  return [...ledger.secrets].filter((secret) => text.includes(secret))
}

/** A transport that records the tokens in every answer and can be pointed at a closed port. */
export interface RecordingTransport extends HttpTransport {
  /** Requests handed to the transport (the emulator sees fewer when they are refused). */
  sends: number
  /** While true, requests go to a port nobody listens on (connection refused). */
  refuse: boolean
}

/** Wraps `inner`; `closedUrl` is an origin on which nothing listens. */
export function recordingTransport(
  inner: HttpTransport,
  ledger: SecretLedger,
  closedUrl: string,
): RecordingTransport {
  const transport: RecordingTransport = {
    sends: 0,
    refuse: false,
    async send(request: HttpRequest): Promise<HttpResponse> {
      transport.sends += 1
      const sent = transport.refuse
        ? { ...request, url: `${closedUrl}${new URL(request.url).pathname}` }
        : request
      const response = await inner.send(sent)
      ledger.addAnswer(response.body)
      return response
    },
  }
  return transport
}

/** An origin on the loopback interface on which nothing listens. */
export async function closedOrigin(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}`
}

/** The stored session record (undefined when absent). */
export async function storedRecord(
  store: Pick<TokenStore, 'get'>,
): Promise<SessionRecord | undefined> {
  return decodeSessionRecord(
    (await store.get(deriveStoreKey(EMULATOR_DEFAULTS.clientSecret, SESSION)))?.value ?? '',
  )
}

/** What a row's scene needs. */
export interface SceneOptions {
  emulator?: BoltEmulatorOptions | undefined
  manager?: Partial<TokenManagerOptions> | undefined
}

/** A manager, its store and transport, talking to one emulator. */
export interface Scene {
  bolt: BoltEmulator
  store: MemoryStore
  http: RecordingTransport
  tokens: ReturnType<typeof managerFor>
}

async function scene(
  ledger: SecretLedger,
  createTransport: () => HttpTransport,
  options: SceneOptions,
): Promise<Scene> {
  const bolt = await startEmulator(options.emulator ?? {})
  const store = createMemoryStore({ clock: bolt.now })
  const http = recordingTransport(createTransport(), ledger, await closedOrigin())
  const tokens = managerFor(bolt, http, { store, logger: ledger.logger, ...options.manager })
  return { bolt, store, http, tokens }
}

/** A logged-in session whose access token has expired; counters start from zero. */
export interface RefreshScene extends Scene {
  /** The record before the refresh: fully scoped, tokens from the login. */
  before: SessionRecord
  /** The refresh token the refresh presents. */
  presented: string
}

/** Logs in, lets the access token expire, and resets the emulator's counters. */
export async function refreshScene(
  ledger: SecretLedger,
  createTransport: () => HttpTransport,
  options: SceneOptions = {},
): Promise<RefreshScene> {
  const base = await scene(ledger, createTransport, options)
  await base.tokens.exchangeCode(SESSION, { code: ledger.login(base.bolt) })
  const before = await storedRecord(base.store)
  if (before?.context.tokens == null) throw new Error('the login stored no tokens')
  base.bolt.advanceClock(PAST_EXPIRY_MS)
  base.bolt.resetStats()
  base.http.sends = 0
  return { ...base, before, presented: before.context.tokens.refreshToken }
}

/** A fresh session and a code from the login modal. */
export interface ExchangeScene extends Scene {
  code: string
}

/** A new session with a login-modal code ready to exchange. */
export async function exchangeScene(
  ledger: SecretLedger,
  createTransport: () => HttpTransport,
  options: SceneOptions = {},
): Promise<ExchangeScene> {
  const base = await scene(ledger, createTransport, options)
  return { ...base, code: ledger.login(base.bolt) }
}

/** The statuses of the token requests the emulator saw (0: no complete answer). */
export function seen(bolt: BoltEmulator): number[] {
  return bolt.requests.map((request) => request.status)
}

/** A valid token answer as Bolt sends it (view-only, as from a refresh), with `changes` applied; `undefined` deletes a field. */
export function tokenAnswer(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const answer: Record<string, unknown> = {
    access_token: `at_fake_${crypto.randomUUID()}`,
    expires_in: 3600,
    refresh_token: `rt_fake_${crypto.randomUUID()}`,
    refresh_token_scope: 'bolt.account.view',
    scope: 'bolt.account.view',
    token_type: 'bearer',
  }
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) delete answer[field]
    else answer[field] = value
  }
  return answer
}

/** What a failing row expects of the error (details may be asymmetric matchers). */
export interface ExpectedError {
  code: ErrorCode
  status?: number
  oauthError?: string
  retryAfterMs?: number
}

/** Asserts the error's code and details; a detail not named must be absent. */
export function expectError(error: unknown, expected: ExpectedError): void {
  const actual = error as Record<string, unknown>
  expect(actual.name).toBe('BoltTokenError')
  expect({
    code: actual.code,
    status: actual.status,
    oauthError: actual.oauthError,
    retryAfterMs: actual.retryAfterMs,
  }).toEqual({
    code: expected.code,
    status: expected.status,
    oauthError: expected.oauthError,
    retryAfterMs: expected.retryAfterMs,
  })
}

/** The session kept its tokens after a failed refresh: `expired`, no lease, the error recorded. */
export async function expectKeptExpired(
  scene: RefreshScene,
  expected: ExpectedError,
): Promise<void> {
  const after = await storedRecord(scene.store)
  expect(after?.value).toBe('expired')
  expect(after?.context.tokens).toEqual(scene.before.context.tokens)
  expect(after?.context.lease).toBeNull()
  expect(after?.context.lastError).toMatchObject(definedOnly(expected))
}

/** The session has no tokens: `unauthenticated`, no lease, the error recorded. */
export async function expectNoTokens(store: MemoryStore, expected: ExpectedError): Promise<void> {
  const after = await storedRecord(store)
  expect(after?.value).toBe('unauthenticated')
  expect(after?.context.tokens).toBeNull()
  expect(after?.context.lease).toBeNull()
  expect(after?.context.lastError).toMatchObject(definedOnly(expected))
}

function definedOnly(expected: ExpectedError): Record<string, unknown> {
  return Object.fromEntries(Object.entries(expected).filter(([, value]) => value !== undefined))
}

/**
 * The session still works: the next call refreshes once, presenting the refresh token it
 * kept, and the session is view-only with a new access token.
 */
export async function expectNextCallRefreshes(
  scene: RefreshScene,
  tokens: Pick<RefreshScene['tokens'], 'getAccessToken'> = scene.tokens,
): Promise<void> {
  scene.bolt.clearFaults()
  scene.http.refuse = false
  const requestsBefore = scene.bolt.requests.length
  const token = await tokens.getAccessToken(SESSION)
  const next = scene.bolt.requests.slice(requestsBefore)
  expect(next).toEqual([
    expect.objectContaining({
      grantType: 'refresh_token',
      refreshTokenHash: tokenHash(scene.presented),
      status: 200,
    }),
  ])
  expect(token).not.toBe(scene.before.context.tokens?.accessToken)
  expect(token.startsWith('at_')).toBe(true)
  const after = await storedRecord(scene.store)
  expect(after).toMatchObject({ value: 'viewOnly', context: { lease: null, lastError: null } })
  expect(after?.context.tokens?.accessToken).toBe(token)
}

/**
 * The session ended: the next call is `NOT_AUTHENTICATED` without a request, and a new login
 * on the same session works (fully scoped again).
 */
export async function expectEndedThenLogsIn(
  scene: Scene,
  ledger: SecretLedger,
  row: string,
): Promise<void> {
  scene.bolt.clearFaults()
  scene.http.refuse = false
  const requestsBefore = scene.bolt.requests.length
  const ended = await rejection(scene.tokens.getAccessToken(SESSION))
  ledger.recordError(row, ended)
  expect(ended.code).toBe('NOT_AUTHENTICATED')
  expect(scene.bolt.requests.length).toBe(requestsBefore)
  await expectLogsIn(scene, ledger)
}

/** A new login on the session works: fully scoped, and a manage token is handed out. */
export async function expectLogsIn(scene: Scene, ledger: SecretLedger): Promise<void> {
  scene.bolt.clearFaults()
  scene.http.refuse = false
  const status = await scene.tokens.exchangeCode(SESSION, { code: ledger.login(scene.bolt) })
  expect(status).toMatchObject({ state: 'fullyScoped', canManage: true, lastError: null })
  const token = await scene.tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' })
  expect(token.startsWith('at_')).toBe(true)
}

/**
 * A real refresh answer for the same shopper (another login, refreshed), as a merchant's own
 * session would get it: its access token reads the account. The session under test is untouched.
 */
export async function realRefreshAnswer(
  bolt: BoltEmulator,
  ledger: SecretLedger,
): Promise<Record<string, unknown>> {
  const exchanged = await postToken(bolt, ledger, {
    grant_type: 'authorization_code',
    code: ledger.login(bolt),
    scope: 'bolt.account.manage openid',
  })
  return postToken(bolt, ledger, {
    grant_type: 'refresh_token',
    refresh_token: String(exchanged.refresh_token),
    scope: 'bolt.account.view',
  })
}

async function postToken(
  bolt: BoltEmulator,
  ledger: SecretLedger,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${bolt.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'x-api-key': bolt.clientSecret },
    body: new URLSearchParams({
      client_id: bolt.clientId,
      client_secret: bolt.clientSecret,
      ...fields,
    }),
  })
  const body = await response.text()
  ledger.addAnswer(body)
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`)
  return JSON.parse(body) as Record<string, unknown>
}
