/**
 * Issue 18, item 2: `tokens.checkHealth()` against the real emulator and real stores: healthy,
 * Bolt stopped, failing, slow or not Bolt at all, and a Redis store that cannot be reached or
 * never answers. The Bolt check spends no grant and sends no credential.
 */
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { createRedisStore } from '../../adapters/storage/redis.js'
import type { HttpRequest, HttpTransport } from '../../src/contracts.js'
import { faults } from '../../src/emulator/index.js'
import { logIn, managerFor, startEmulator, storeKey } from '../support/harness.js'
import { freePort } from '../support/redis-server.js'
import { rejection } from '../support/rejection.js'
import { startBlackHole } from '../support/tcp-proxy.js'

/** The fetch transport, keeping every request it sends. */
function recordingTransport(): HttpTransport & { sent: HttpRequest[] } {
  const inner = createFetchTransport()
  const sent: HttpRequest[] = []
  return {
    sent,
    send(request) {
      sent.push(request)
      return inner.send(request)
    },
  }
}

/** A loopback port nothing listens on. */

const clients: Redis[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect()
})

/** A Redis client to `port` that fails fast, as docs/redis.md advises. */
function redisOn(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    commandTimeout: 300,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  clients.push(client)
  return client
}

describe('checkHealth', () => {
  it('healthy: the store answers and Bolt refuses a request without credentials; no grant spent, no session touched, no credential sent', async () => {
    const bolt = await startEmulator()
    const http = recordingTransport()
    const store = createMemoryStore({ clock: bolt.now })
    const tokens = managerFor(bolt, http, { store })
    await logIn(bolt, tokens, 'shopper-1')
    const before = store.get(storeKey(bolt, 'shopper-1'))
    bolt.resetStats()
    http.sent.length = 0

    const report = await tokens.checkHealth()

    expect(report).toEqual({
      ok: true,
      store: { ok: true, latencyMs: expect.any(Number) },
      bolt: { ok: true, latencyMs: expect.any(Number), status: 403 },
    })
    // Bolt saw one token request, without a grant: nothing issued, nothing spent.
    expect(bolt.requests).toEqual([
      expect.objectContaining({ path: '/v1/oauth/token', grantType: '', status: 403 }),
    ])
    expect(bolt.stats).toMatchObject({ codeExchanges: 0, refreshes: 0, invalidGrants: 0 })
    expect(http.sent).toHaveLength(1)
    const [probe] = http.sent
    expect(probe?.body).toBe('')
    expect(Object.keys(probe?.headers ?? {}).sort()).toEqual(['accept', 'content-type'])
    expect(JSON.stringify(probe)).not.toContain(bolt.clientSecret)
    expect(store.get(storeKey(bolt, 'shopper-1'))).toEqual(before)
    expect((await tokens.getStatus('shopper-1')).state).toBe('fullyScoped')
  })

  it('Bolt stopped: bolt is not ok (NETWORK_ERROR), the store still is', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await bolt.close()
    expect(await tokens.checkHealth()).toEqual({
      ok: false,
      store: { ok: true, latencyMs: expect.any(Number) },
      bolt: { ok: false, latencyMs: expect.any(Number), error: 'NETWORK_ERROR' },
    })
  })

  it('Bolt failing (502), slow (past timeoutMs) or not Bolt’s token endpoint (404): each named', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    bolt.injectFault(faults.html(502))
    expect((await tokens.checkHealth()).bolt).toEqual({
      ok: false,
      latencyMs: expect.any(Number),
      status: 502,
      error: 'SERVER_ERROR',
    })

    bolt.injectFault(faults.stall())
    const slow = await tokens.checkHealth({ timeoutMs: 200 })
    expect(slow).toMatchObject({
      ok: false,
      store: { ok: true },
      bolt: { ok: false, error: 'TIMEOUT' },
    })
    expect(slow.bolt.latencyMs).toBeGreaterThanOrEqual(195)
    expect(slow.bolt.latencyMs).toBeLessThan(1_000)

    const lost = managerFor(bolt, createFetchTransport(), { tokenPath: '/v1/oauth/tokens' })
    expect((await lost.checkHealth()).bolt).toEqual({
      ok: false,
      latencyMs: expect.any(Number),
      status: 404,
      error: 'INVALID_RESPONSE',
    })
    bolt.injectFault(faults.rateLimited('30'))
    expect((await tokens.checkHealth()).bolt).toMatchObject({ ok: true, status: 429 })
    expect(bolt.stats).toMatchObject({ codeExchanges: 0, refreshes: 0 })
  })

  it('a Redis store on a closed port: store is not ok (STORE_UNAVAILABLE) within the client’s command timeout', async () => {
    const bolt = await startEmulator()
    const store = createRedisStore(redisOn(await freePort()), { prefix: 'health-test:' })
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    const report = await tokens.checkHealth()
    expect(report).toEqual({
      ok: false,
      store: { ok: false, latencyMs: expect.any(Number), error: 'STORE_UNAVAILABLE' },
      bolt: { ok: true, latencyMs: expect.any(Number), status: 403 },
    })
    expect(report.store.latencyMs).toBeLessThan(800)
  })

  it('a Redis that never answers: store is not ok once timeoutMs has passed', async () => {
    const bolt = await startEmulator()
    const hole = await startBlackHole()
    const client = redisOn(hole.port)
    // Longer than the health check's deadline: the check gives up first.
    client.options.commandTimeout = 5_000
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: createRedisStore(client, { prefix: 'health-test:' }),
    })
    const started = performance.now()
    const report = await tokens.checkHealth({ timeoutMs: 300 })
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(report.store).toEqual({
      ok: false,
      latencyMs: expect.any(Number),
      error: 'STORE_UNAVAILABLE',
    })
    expect(report.store.latencyMs).toBeGreaterThanOrEqual(295)
    expect(report.ok).toBe(false)
    await hole.close()
  })

  it('refuses a timeoutMs that is not a positive number', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '500' as never]) {
      expect((await rejection(tokens.checkHealth({ timeoutMs }))).code).toBe('INVALID_ARGUMENT')
    }
    expect(bolt.requests).toEqual([])
  })
})
