// Redis faults under the token manager: Redis down at a read, at a write, at the start of a code
// exchange; restarted (data lost) mid-refresh; a record that expires, is deleted or is rolled
// back (a failover) mid-refresh; a record that does not decode; and a slow Redis. Each test
// states the error code, what is stored afterwards, and whether the session still works. The
// faults come from the fault proxy (test/support/tcp-proxy.ts), from commands on the record, and
// from a dedicated redis-server. `KNOWN GAP` marks behaviour the library gets wrong today: the
// assertion it deserves is described there, not made.

import { inspect } from 'node:util'
import type { Redis } from 'ioredis'
import { afterEach, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import type { ErrorEvent } from '../../src/manager/lifecycle-events.js'
import {
  accountStatus,
  logIn,
  managerFor,
  PAST_EXPIRY_MS,
  startEmulator,
} from '../support/harness.js'
import { describeRedis, randomPrefix } from '../support/redis.js'
import { rejection } from '../support/rejection.js'
import type { FaultProxy } from '../support/tcp-proxy.js'
import {
  closeAll,
  directClient,
  fastFailingClient,
  itWithOwnRedisServer,
  nextReady,
  redisProxy,
  redisStore,
  sessionKey,
  startRestartableRedis,
  storedRecord,
} from './redis-fault-kit.js'

afterEach(closeAll)

const refreshRequests = (bolt: { requests: readonly { grantType: string }[] }) =>
  bolt.requests.filter((request) => request.grantType === 'refresh_token').length

/** Never rejects: what `promise` settled with, to look at after the fault. */
function settle<T>(promise: Promise<T>): Promise<{ token?: T; error?: Error & { code?: string } }> {
  return promise.then(
    (token) => ({ token }),
    (error: unknown) => ({ error: error as Error & { code?: string } }),
  )
}

/** A manager (fetch transport) over a Redis store on `client`, under a fresh key prefix. */
function managerOn(bolt: BoltEmulator, client: Redis) {
  const prefix = randomPrefix()
  const tokens = managerFor(bolt, createFetchTransport(), { store: redisStore(client, prefix) })
  return { prefix, tokens }
}

/** An emulator and a manager on a fail-fast client behind a fault proxy; `direct` reads past it. */
async function managerBehindProxy() {
  const bolt = await startEmulator()
  const proxy = await redisProxy()
  const client = fastFailingClient(proxy.url)
  const direct = directClient()
  return { bolt, proxy, client, direct, ...managerOn(bolt, client) }
}

/** An emulator and a manager on a direct client to the run's Redis; `key` is the key of s1. */
async function managerOnRunRedis() {
  const bolt = await startEmulator()
  const client = directClient()
  const { prefix, tokens } = managerOn(bolt, client)
  return { bolt, client, prefix, key: sessionKey(prefix, 's1'), tokens }
}

/** An emulator and a manager on a dedicated redis-server (restartable), through `connect`. */
async function managerOnOwnRedis(connect: (url: string) => Redis) {
  const bolt = await startEmulator()
  const server = await startRestartableRedis()
  const client = connect(server.url)
  return { bolt, server, client, ...managerOn(bolt, client) }
}

/** Lets the proxy pass again and resolves once `client` has reconnected. */
async function passAndReconnect(proxy: FaultProxy, client: Redis) {
  const ready = nextReady(client)
  proxy.setMode('pass')
  await ready
}

/**
 * Bolt holds its next answer for `delayMs`; starts `call` (a refresh of s1) and resolves once
 * Bolt has the refresh request (the lock is taken), with the call still `pending`.
 */
async function holdRefreshAtBolt<T>(bolt: BoltEmulator, delayMs: number, call: () => Promise<T>) {
  bolt.injectFault({ type: 'delay', ms: delayMs })
  const pending = call()
  await expect.poll(() => refreshRequests(bolt), { timeout: 2_000 }).toBe(1)
  return { pending }
}

/** Bolt saw exactly one refresh, and s1 is stored `viewOnly` with `token` and no lease. */
async function expectOneRefreshSaved(
  bolt: BoltEmulator,
  direct: Redis,
  prefix: string,
  token?: string,
) {
  expect(bolt.stats.refreshes).toBe(1)
  expect(refreshRequests(bolt)).toBe(1)
  const saved = await storedRecord(direct, prefix, 's1')
  expect(saved?.record?.value).toBe('viewOnly')
  expect(saved?.record?.context.tokens?.accessToken).toBe(token)
  expect(saved?.record?.context.lease).toBeNull()
  return saved
}

describeRedis('Redis faults', () => {
  it('Redis down at read: STORE_UNAVAILABLE and no token request; back to pass, the same call returns the token', async () => {
    const { bolt, proxy, client, direct, prefix, tokens } = await managerBehindProxy()
    await logIn(bolt, tokens, 's1')
    const token = await tokens.getAccessToken('s1')
    const before = await storedRecord(direct, prefix, 's1')
    expect(before?.record?.value).toBe('fullyScoped')
    bolt.resetStats()

    // A valid session, Redis not answering.
    proxy.setMode('blackhole')
    const error = await rejection(tokens.getAccessToken('s1'))
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(error.message).toContain('nothing was changed')
    expect(bolt.stats.tokenRequests).toBe(0)
    expect(await storedRecord(direct, prefix, 's1')).toEqual(before)

    await passAndReconnect(proxy, client)
    expect(await tokens.getAccessToken('s1')).toBe(token)

    // An expired session, Redis not answering: no refresh without the lock.
    bolt.advanceClock(PAST_EXPIRY_MS)
    proxy.setMode('blackhole')
    expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('STORE_UNAVAILABLE')
    expect(bolt.stats.tokenRequests).toBe(0)
    expect(await storedRecord(direct, prefix, 's1')).toEqual(before)

    await passAndReconnect(proxy, client)
    const refreshed = await tokens.getAccessToken('s1')
    expect(refreshed).not.toBe(token)
    expect(await accountStatus(bolt, refreshed, 'read')).toBe(200)
    expect(bolt.stats.refreshes).toBe(1)
    const after = await storedRecord(direct, prefix, 's1')
    expect(after?.record?.value).toBe('viewOnly')
    expect(after?.record?.context.tokens?.accessToken).toBe(refreshed)
    // The callers were told; nothing went unreported.
    expect(tokens.errors).toEqual([])
  })

  it('Redis down at write (after a successful refresh): the caller gets the new token, one STORE_UNAVAILABLE event, and the next call saves it without a new refresh', async () => {
    const { bolt, proxy, client, direct, prefix, tokens } = await managerBehindProxy()
    const events: ErrorEvent[] = []
    tokens.subscribe((event) => {
      if (event.type === 'error') events.push(event)
    })
    await logIn(bolt, tokens, 's1')
    const loginToken = await tokens.getAccessToken('s1')
    bolt.advanceClock(PAST_EXPIRY_MS)

    const { pending } = await holdRefreshAtBolt(bolt, 600, () => tokens.getAccessToken('s1'))
    // The lock is taken; Bolt is rotating. Now Redis resets every connection.
    const locked = await storedRecord(direct, prefix, 's1')
    expect(locked?.record?.value).toBe('refresh')
    proxy.setMode('reset')
    const token = await pending

    expect(token).not.toBe(loginToken)
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(events.map((event) => [event.sessionId, event.error.code])).toEqual([
      ['s1', 'STORE_UNAVAILABLE'],
    ])
    expect(events[0]?.detail).toContain('caller got the new access token')
    // Nothing was saved: the record still holds the lock and the spent refresh token.
    expect(await storedRecord(direct, prefix, 's1')).toEqual(locked)

    await passAndReconnect(proxy, client)
    expect(await tokens.getAccessToken('s1')).toBe(token)

    const saved = await expectOneRefreshSaved(bolt, direct, prefix, token)
    expect(saved?.version).toBe((locked?.version ?? 0) + 1)
    expect(events).toHaveLength(1)
  })

  it('Redis down at the start of a code exchange: STORE_UNAVAILABLE, the code is not spent, and it still works after recovery', async () => {
    const { bolt, proxy, client, direct, prefix, tokens } = await managerBehindProxy()
    expect(await client.ping()).toBe('PONG')
    const { code } = bolt.login()

    proxy.setMode('reset')
    const error = await rejection(tokens.exchangeCode('s1', { code }))
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(bolt.stats.tokenRequests).toBe(0)
    expect(await direct.exists(sessionKey(prefix, 's1'))).toBe(0)

    await passAndReconnect(proxy, client)
    const status = await tokens.exchangeCode('s1', { code })
    expect(status.state).toBe('fullyScoped')
    expect(bolt.stats.codeExchanges).toBe(1)
    const token = await tokens.getAccessToken('s1', { scope: 'bolt.account.manage' })
    expect(await accountStatus(bolt, token, 'write')).toBe(200)
    const stored = await storedRecord(direct, prefix, 's1')
    expect(stored?.record?.value).toBe('fullyScoped')
    expect(stored?.record?.context.tokens?.accessToken).toBe(token)
    expect(tokens.errors).toEqual([])
  })

  itWithOwnRedisServer(
    'Redis refusing writes (out of memory): STORE_UNAVAILABLE, and neither the error, its cause nor the error event prints a token (ioredis attaches the command arguments)',
    async () => {
      const { bolt, client, prefix, tokens } = await managerOnOwnRedis(directClient)
      await logIn(bolt, tokens, 's1')
      const stored = (await storedRecord(client, prefix, 's1'))?.record?.context.tokens
      const secrets = [stored?.accessToken, stored?.refreshToken, stored?.idToken].filter(
        (secret): secret is string => typeof secret === 'string' && secret.length > 0,
      )
      expect(secrets.length).toBeGreaterThanOrEqual(2)
      await client.config('SET', 'maxmemory', '1')
      bolt.advanceClock(PAST_EXPIRY_MS)

      const error = await rejection(tokens.getAccessToken('s1'))
      expect(error.code).toBe('STORE_UNAVAILABLE')
      expect(bolt.stats.refreshes).toBe(0)
      const printed = [
        inspect(error, { depth: 10 }),
        JSON.stringify(error),
        String(error.stack),
        inspect(tokens.errors, { depth: 10 }),
      ].join('\n')
      expect(printed).toContain('OOM')
      for (const secret of secrets) expect(printed).not.toContain(secret)
      await client.config('SET', 'maxmemory', '0')
    },
  )

  itWithOwnRedisServer(
    'Redis restarted mid-refresh (data lost): the refreshed tokens cannot be fenced in; nothing is stored, the caller and the next call get NOT_AUTHENTICATED, Bolt saw one refresh',
    async () => {
      const { bolt, server, client, prefix, tokens } = await managerOnOwnRedis(fastFailingClient)
      await logIn(bolt, tokens, 's1')
      bolt.advanceClock(PAST_EXPIRY_MS)

      const { pending } = await holdRefreshAtBolt(bolt, 1_000, () =>
        settle(tokens.getAccessToken('s1')),
      )
      expect((await storedRecord(client, prefix, 's1'))?.record?.value).toBe('refresh')
      await server.stop()
      await expect.poll(() => client.status, { timeout: 2_000 }).not.toBe('ready')
      await server.start()
      await expect.poll(() => client.status, { timeout: 3_000 }).toBe('ready')
      expect(await client.exists(sessionKey(prefix, 's1'))).toBe(0)
      // Bolt has not answered yet: the restart happened mid-refresh.
      expect(bolt.stats.refreshes).toBe(0)

      // Bolt rotates; the write of the result expects the lock's version, the key is absent, so
      // the compare-and-set fails (a deleted session is never brought back). The manager re-reads,
      // finds no session, and says so.
      const outcome = await pending
      expect(outcome.error?.code).toBe('NOT_AUTHENTICATED')
      expect(outcome.token).toBeUndefined()
      expect(bolt.stats.refreshes).toBe(1)
      expect(refreshRequests(bolt)).toBe(1)
      expect(await client.exists(sessionKey(prefix, 's1'))).toBe(0)
      // No transition is reported for a write that did not happen.
      expect(tokens.transitions.at(-1)).toMatchObject({ from: 'expired', to: 'refresh' })
      // KNOWN GAP: the tokens Bolt issued are discarded silently: no `error` event tells the
      // merchant that a rotation was lost to the store losing its data (subscribe() promises
      // "every failure no caller was told about"; the caller only hears NOT_AUTHENTICATED, with
      // no reason). Expected: one error event for s1 naming the vanished record.

      expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')
      expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')
      expect(refreshRequests(bolt)).toBe(1)
    },
  )

  it.each(['PEXPIRE', 'DEL'] as const)(
    'a lease lost by a failover-like expiry (%s mid-refresh): the late result is not written (no resurrection), the caller gets NOT_AUTHENTICATED, the session reads unauthenticated',
    async (how) => {
      const { bolt, client, prefix, key, tokens } = await managerOnRunRedis()
      await logIn(bolt, tokens, 's1')
      bolt.advanceClock(PAST_EXPIRY_MS)

      const { pending } = await holdRefreshAtBolt(bolt, 600, () =>
        settle(tokens.getAccessToken('s1')),
      )
      expect((await storedRecord(client, prefix, 's1'))?.record?.value).toBe('refresh')
      if (how === 'DEL') await client.del(key)
      else await client.pexpire(key, 1)
      await expect.poll(() => client.exists(key)).toBe(0)
      expect(bolt.stats.refreshes).toBe(0)

      const outcome = await pending
      expect(outcome.error?.code).toBe('NOT_AUTHENTICATED')
      expect(bolt.stats.refreshes).toBe(1)
      expect(await client.exists(key)).toBe(0)
      // KNOWN GAP: as above, the discarded rotation is not reported through subscribe().
      expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')
      expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')
      expect(refreshRequests(bolt)).toBe(1)
      expect(await client.exists(key)).toBe(0)
    },
  )

  it('a failover that rolls the record back to before the lock: no refresh loop, and the stored state agrees with Bolt', async () => {
    const { bolt, client, prefix, key, tokens } = await managerOnRunRedis()
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    // What an asynchronous replica holds if it is promoted before the lock's write reached it.
    const before = await client.get(key)

    const { pending } = await holdRefreshAtBolt(bolt, 600, () =>
      settle(tokens.getAccessToken('s1')),
    )
    await client.set(key, before ?? '', 'KEEPTTL')
    const outcome = await pending

    // Never a loop: at most one more request with the refresh token.
    expect(refreshRequests(bolt)).toBeLessThanOrEqual(2)
    const stored = await storedRecord(client, prefix, 's1')
    const storedToken = stored?.record?.context.tokens?.accessToken
    if (storedToken !== undefined) expect(await accountStatus(bolt, storedToken, 'read')).toBe(200)
    if (outcome.token !== undefined) expect(outcome.token).toBe(storedToken)
    // Never silence: a session that ended says why, and the caller heard the same.
    if (stored?.record?.value === 'unauthenticated') {
      expect(stored.record.context.lastError?.code).toBeDefined()
      expect(outcome.error?.code).toBe(stored.record.context.lastError?.code)
    }
    // KNOWN GAP: the rotation that Bolt answered is discarded (the record it finds is `expired`,
    // not `refresh`), the manager refreshes again with the spent refresh token, Bolt's reuse
    // detection revokes the session, and the caller gets INVALID_GRANT: the shopper is logged
    // out by a Redis failover. Expected: the caller gets the new token, the record is `viewOnly`
    // with it, and Bolt sees exactly one refresh request.
  })

  it('a record that does not decode (`7:` then garbage): unauthenticated, NOT_AUTHENTICATED without a token request, and a new login replaces it', async () => {
    const { bolt, client, prefix, key, tokens } = await managerOnRunRedis()
    await client.set(key, '7:{"not":"a session record"')

    expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')
    expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')
    expect(bolt.stats.tokenRequests).toBe(0)
    expect(await storedRecord(client, prefix, 's1')).toEqual({ version: 7, record: null })
    expect((await tokens.exchangeCode('s1', { code: bolt.login().code })).state).toBe('fullyScoped')
    expect((await storedRecord(client, prefix, 's1'))?.version).toBe(9)
    expect(await client.pttl(key)).toBeGreaterThan(0)
  })

  it.each([
    ['a string without a version', (client: Redis, key: string) => client.set(key, 'garbage')],
    [
      'a hash (another type)',
      (client: Redis, key: string) => client.hset(key, 'v', '7', 'd', '{}'),
    ],
    ['a list (another type)', (client: Redis, key: string) => client.rpush(key, 'garbage')],
  ])(
    'a foreign record at the session key (%s): unauthenticated, NOT_AUTHENTICATED without a token request, and a new login replaces it',
    async (_what, plant) => {
      const { bolt, client, key, tokens } = await managerOnRunRedis()
      await plant(client, key)

      expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')
      expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')
      expect(bolt.stats.tokenRequests).toBe(0)
      // A new login replaces it, and the replaced record gets a TTL again.
      expect((await tokens.exchangeCode('s1', { code: bolt.login().code })).state).toBe(
        'fullyScoped',
      )
      expect(await client.get(key)).toMatch(/^\d+:\{/)
      expect(await client.pttl(key)).toBeGreaterThan(0)
    },
  )

  it('Redis slow (delay 50 ms each way): 20 concurrent calls on an expired session, from 4 instances, refresh once', async () => {
    const bolt = await startEmulator()
    const proxy = await redisProxy()
    const direct = directClient()
    const prefix = randomPrefix()
    const clients = [0, 1, 2, 3].map(() => fastFailingClient(proxy.url, { commandTimeout: 2_000 }))
    const managers = clients.map((client) =>
      managerFor(bolt, createFetchTransport(), { store: redisStore(client, prefix) }),
    )
    await logIn(bolt, managers[0] ?? expect.unreachable(), 's1')
    const before = await storedRecord(direct, prefix, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    proxy.setMode({ delay: 50 })
    const pingStarted = performance.now()
    await clients[1]?.ping()
    expect(performance.now() - pingStarted).toBeGreaterThanOrEqual(99)

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, call) =>
        (managers[call % managers.length] ?? expect.unreachable()).getAccessToken('s1'),
      ),
    )

    expect(new Set(results).size).toBe(1)
    const [token] = results
    expect(await accountStatus(bolt, token ?? '', 'read')).toBe(200)
    const stored = await expectOneRefreshSaved(bolt, direct, prefix, token)
    // expired → refresh → viewOnly: two writes, each exactly once.
    expect(stored?.version).toBe((before?.version ?? 0) + 2)
    expect(managers.flatMap((manager) => manager.errors)).toEqual([])
  })
})
