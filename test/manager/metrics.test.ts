/**
 * Issue 18, item 1: the manager's OpenTelemetry metrics, read back through the real SDK
 * (`@opentelemetry/sdk-metrics`, in-memory exporter) while a real emulator answers: token
 * requests by grant and outcome and their duration, lease waits and takeovers, store errors,
 * SCOPE_REQUIRED, and the length of the line of refreshes. Every read also checks each data
 * point against the definitions (test/support/metrics-reader.ts): attributes hold grants,
 * codes and states, never a session id or a token.
 */
import { metrics } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { faults } from '../../src/emulator/index.js'
import { METRICS } from '../../src/telemetry/metrics.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { createMetricsReader, histograms, sums } from '../support/metrics-reader.js'
import { rejection } from '../support/rejection.js'
import { flakyStore } from '../support/store-wrappers.js'

const M = METRICS
const GRANT = 'bolt.oauth.grant_type'
const OUTCOME = 'bolt.oauth.outcome'
const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const readers: ReturnType<typeof createMetricsReader>[] = []
function metricsReader() {
  const reader = createMetricsReader()
  readers.push(reader)
  return reader
}
afterEach(async () => {
  metrics.disable()
  await Promise.all(readers.splice(0).map((reader) => reader.shutdown()))
})

describe('metrics', () => {
  it('login, refresh, a failed refresh and SCOPE_REQUIRED: token requests by grant and outcome, their duration, and the step-ups asked for', async () => {
    const bolt = await startEmulator()
    const reader = metricsReader()
    const tokens = managerFor(bolt, createFetchTransport(), { meter: reader.meter, retry: false })
    await logIn(bolt, tokens, 'shopper-1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('shopper-1')
    // View-only now: asking for manage is refused, twice.
    for (let i = 0; i < 2; i++) {
      const refused = await rejection(
        tokens.getAccessToken('shopper-1', { scope: 'bolt.account.manage' }),
      )
      expect(refused.code).toBe('SCOPE_REQUIRED')
    }
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault(faults.html(502))
    expect((await rejection(tokens.getAccessToken('shopper-1'))).code).toBe('SERVER_ERROR')
    // A login for a session that was never logged in: NOT_AUTHENTICATED is not a step-up.
    expect(
      (await rejection(tokens.getAccessToken('nobody', { scope: 'bolt.account.manage' }))).code,
    ).toBe('NOT_AUTHENTICATED')

    const read = await reader.read()
    expect(sums(read.get(M.tokenRequests.name))).toEqual([
      { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, value: 1 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'SERVER_ERROR' }, value: 1 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'ok' }, value: 1 },
    ])
    const durations = histograms(read.get(M.tokenDuration.name))
    expect(durations.map(({ attributes, count }) => ({ attributes, count }))).toEqual([
      { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, count: 1 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'SERVER_ERROR' }, count: 1 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'ok' }, count: 1 },
    ])
    for (const duration of durations) {
      // Seconds, not milliseconds: a loopback request takes well under a second.
      expect(duration.sum).toBeGreaterThan(0)
      expect(duration.sum).toBeLessThan(5)
      expect(duration.boundaries).toEqual(M.tokenDuration.buckets)
    }
    expect(sums(read.get(M.scopeRequired.name))).toEqual([{ attributes: {}, value: 2 }])
    expect(read.has(M.takeovers.name)).toBe(false)
    expect(read.has(M.storeErrors.name)).toBe(false)
    expect(read.has(M.leaseWait.name)).toBe(false)
    expect(sums(read.get(M.refreshQueue.name))).toEqual([{ attributes: {}, value: 0 }])
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 1, tokenRequests: 3 })
  })

  it('a stampede on another instance’s refresh: each waiting call records how long it waited; only the holder records the request', async () => {
    const bolt = await startEmulator()
    const reader = metricsReader()
    const store = createMemoryStore({ clock: bolt.now })
    const gate = createGatedTransport(createFetchTransport())
    const holder = managerFor(bolt, gate, { store, meter: reader.meter })
    const waiters = [1, 2, 3].map(() =>
      managerFor(bolt, createFetchTransport(), { store, meter: reader.meter, pollIntervalMs: 20 }),
    )
    const login = holder.exchangeCode('shopper-1', { code: bolt.login().code })
    ;(await gate.nextRequest()).release()
    await login
    bolt.advanceClock(PAST_EXPIRY_MS)

    const refreshing = holder.getAccessToken('shopper-1')
    const held = await gate.nextRequest()
    const waiting = waiters.map((waiter) => waiter.getAccessToken('shopper-1'))
    await sleep(80)
    held.release()
    const [token, ...others] = await Promise.all([refreshing, ...waiting])
    expect(others).toEqual([token, token, token])

    const read = await reader.read()
    const waits = histograms(read.get(M.leaseWait.name))
    expect(waits.map(({ attributes, count }) => ({ attributes, count }))).toEqual([
      { attributes: {}, count: 3 },
    ])
    expect(waits[0]?.min).toBeGreaterThanOrEqual(0.06)
    expect(waits[0]?.max).toBeLessThan(5)
    expect(waits[0]?.boundaries).toEqual(M.leaseWait.buckets)
    expect(sums(read.get(M.tokenRequests.name))).toEqual([
      { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, value: 1 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'ok' }, value: 1 },
    ])
    expect(bolt.stats).toMatchObject({ refreshes: 1, reuseDetected: 0 })
    gate.close()
  })

  it('a lease taken over from an instance that died mid-refresh counts once, by state and reason', async () => {
    const bolt = await startEmulator()
    const reader = metricsReader()
    const store = createMemoryStore({ clock: bolt.now })
    const gate = createGatedTransport(createFetchTransport())
    const dying = managerFor(bolt, gate, {
      store,
      leaseMs: 20_000,
      timeoutMs: 10_000,
      meter: reader.meter,
    })
    const survivor = managerFor(bolt, createFetchTransport(), { store, meter: reader.meter })
    await logIn(bolt, survivor, 'shopper-1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    void dying.getAccessToken('shopper-1').catch(() => {})
    await gate.nextRequest()
    bolt.advanceClock(21_000)
    await survivor.getAccessToken('shopper-1')

    const read = await reader.read()
    expect(sums(read.get(M.takeovers.name))).toEqual([
      {
        attributes: { 'bolt.lease.state': 'refresh', 'bolt.lease.takeover.reason': 'expired' },
        value: 1,
      },
    ])
    expect(sums(read.get(M.tokenRequests.name))).toEqual([
      { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, value: 1 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'ok' }, value: 1 },
    ])
    gate.close()
  })

  it('store errors count once per failure, by the operation that failed; one no caller saw counts as background', async () => {
    const bolt = await startEmulator()
    const reader = metricsReader()
    const store = flakyStore(createMemoryStore({ clock: bolt.now }))
    const gate = createGatedTransport(createFetchTransport())
    const tokens = managerFor(bolt, gate, { store, meter: reader.meter })
    const login = tokens.exchangeCode('shopper-1', { code: bolt.login().code })
    ;(await gate.nextRequest()).release()
    await login

    store.failNext(1)
    expect((await rejection(tokens.getAccessToken('shopper-1'))).code).toBe('STORE_UNAVAILABLE')
    store.failNext(1)
    expect((await rejection(tokens.getStatus('shopper-1'))).code).toBe('STORE_UNAVAILABLE')

    // The refreshed tokens cannot be saved: the caller gets its token, the failure is an event.
    bolt.advanceClock(PAST_EXPIRY_MS)
    const refreshing = tokens.getAccessToken('shopper-1')
    const held = await gate.nextRequest()
    store.failNext(1)
    held.release()
    expect(await settle(refreshing)).toBe('ok')
    expect(tokens.errors.map((event) => event.error.code)).toEqual(['STORE_UNAVAILABLE'])

    const read = await reader.read()
    expect(sums(read.get(M.storeErrors.name))).toEqual([
      { attributes: { 'bolt.operation': 'background' }, value: 1 },
      { attributes: { 'bolt.operation': 'getAccessToken' }, value: 1 },
      { attributes: { 'bolt.operation': 'getStatus' }, value: 1 },
    ])
    gate.close()
  })

  it('a 429 pauses the line: the queue length counts the refreshes waiting in it, then drains to 0', async () => {
    const bolt = await startEmulator()
    const reader = metricsReader()
    const tokens = managerFor(bolt, createFetchTransport(), { meter: reader.meter })
    const ids = ['a', 'b', 'c', 'd']
    for (const id of ids) await logIn(bolt, tokens, id)
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault(faults.rateLimited('1'), { times: 1 })
    const first = settle(tokens.getAccessToken('a'))
    while (!bolt.requests.some((request) => request.status === 429)) await sleep(5)
    // The emulator logs its answer as it sends it; the line pauses once the manager reads it.
    await sleep(50)
    const queued = ids.slice(1).map((id) => settle(tokens.getAccessToken(id)))

    const queueLength = async () => sums((await reader.read()).get(M.refreshQueue.name))[0]?.value
    await expect.poll(queueLength, { timeout: 2_000 }).toBe(3)
    expect(await Promise.all([first, ...queued])).toEqual(['ok', 'ok', 'ok', 'ok'])
    expect(await queueLength()).toBe(0)

    const read = await reader.read()
    // Retries are part of one request: a's 429 then 200 is one `ok`.
    expect(sums(read.get(M.tokenRequests.name))).toEqual([
      { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, value: 4 },
      { attributes: { [GRANT]: 'refresh_token', [OUTCOME]: 'ok' }, value: 4 },
    ])
    const refreshes = bolt.requests.filter((request) => request.grantType === 'refresh_token')
    expect(refreshes.map((request) => request.status)).toEqual([429, 200, 200, 200, 200])
  })

  it('no attribute of any data point is a session id, a token, a code or a key', async () => {
    const bolt = await startEmulator()
    const reader = metricsReader()
    // Session ids as merchants often make them: their session cookie.
    const sessions = [1, 2, 3].map(() => `sid-${globalThis.crypto.randomUUID()}`)
    const store = flakyStore(createMemoryStore({ clock: bolt.now }))
    const tokens = managerFor(bolt, createFetchTransport(), { store, meter: reader.meter })
    for (const id of sessions) await tokens.exchangeCode(id, { code: bolt.login().code })
    bolt.advanceClock(PAST_EXPIRY_MS)
    for (const id of sessions) await tokens.getAccessToken(id)
    for (const id of sessions) {
      await rejection(tokens.getAccessToken(id, { scope: 'bolt.account.manage' }))
    }
    store.failNext(1)
    await rejection(tokens.logout(sessions[0] ?? ''))
    await reader.read()

    // Exactly these: grants, outcome codes and operation names, so no id, token, code or key.
    expect(reader.attributeValues).toEqual(
      new Set(['authorization_code', 'refresh_token', 'ok', 'logout']),
    )
  })

  it('without a meter option, the global meter of @opentelemetry/api, even one registered after the manager; meter: false records nothing', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    const silent = managerFor(bolt, createFetchTransport(), { meter: false })
    const reader = metricsReader()
    expect(metrics.setGlobalMeterProvider(reader.provider)).toBe(true)
    await logIn(bolt, tokens, 'shopper-1')
    await logIn(bolt, silent, 'shopper-2')
    await logIn(bolt, silent, 'shopper-3')
    const read = await reader.read()
    expect(sums(read.get(M.tokenRequests.name))).toEqual([
      { attributes: { [GRANT]: 'authorization_code', [OUTCOME]: 'ok' }, value: 1 },
    ])
    expect(bolt.stats.codeExchanges).toBe(3)
  })

  it('refuses a meter option that is not a meter', async () => {
    const bolt = await startEmulator()
    const error = (() => {
      try {
        managerFor(bolt, createFetchTransport(), { meter: {} as never })
      } catch (thrown) {
        return thrown as { code?: string; message?: string }
      }
      return undefined
    })()
    expect(error?.code).toBe('INVALID_ARGUMENT')
    expect(error?.message).toContain('`meter`')
  })
})
