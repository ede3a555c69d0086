import { Redis } from 'ioredis'
import { afterEach, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { EMULATOR_DEFAULTS } from '../../src/emulator/options.js'
import { decodeSessionRecord } from '../../src/manager/session-record.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import {
  accountStatus,
  logIn,
  managerFor,
  PAST_EXPIRY_MS,
  startEmulator,
} from '../support/harness.js'
import {
  createTestRedis,
  describeRedis,
  randomPrefix,
  rawSession,
  redisUrl,
} from '../support/redis.js'
import { rejection } from '../support/rejection.js'
import { startBlackHole, startTcpProxy } from '../support/tcp-proxy.js'

const stores: RedisStore[] = []
const extraClients: Redis[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
  for (const client of extraClients.splice(0)) client.disconnect()
})

function redisStore(client: Redis, prefix: string): RedisStore {
  const store = createRedisStore(client, { prefix })
  stores.push(store)
  return store
}

/** The Redis key of a session of a manager keyed by the emulator's default API key. */
const redisKey = (prefix: string, sessionId: string) =>
  `${prefix}{${deriveStoreKey(EMULATOR_DEFAULTS.clientSecret, sessionId)}}`

async function storedRecord(client: Redis, prefix: string, sessionId: string) {
  const raw = await rawSession(client, redisKey(prefix, sessionId))
  return raw === undefined ? undefined : decodeSessionRecord(raw.value)
}

describeRedis('token manager on Redis', () => {
  it('runs the whole lifecycle: login, refresh to view-only, step-up, logout', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const client = createTestRedis()
    const tokens = managerFor(bolt, createFetchTransport(), { store: redisStore(client, prefix) })

    await logIn(bolt, tokens, 's1')
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')
    bolt.advanceClock(PAST_EXPIRY_MS)
    const viewToken = await tokens.getAccessToken('s1')
    expect(await accountStatus(bolt, viewToken, 'read')).toBe(200)
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    await logIn(bolt, tokens, 's1')
    expect(
      await accountStatus(
        bolt,
        await tokens.getAccessToken('s1', { scope: 'bolt.account.manage' }),
        'write',
      ),
    ).toBe(200)
    await tokens.logout('s1')
    expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')

    expect(tokens.transitions.map((t) => t.to)).toEqual([
      'codeExchange',
      'fullyScoped',
      'expired',
      'refresh',
      'viewOnly',
      'codeExchange',
      'fullyScoped',
      'unauthenticated',
    ])
    // The session sits in one string under the prefix, with its derived key as the hash tag.
    expect(await client.keys(`${prefix}*`)).toEqual([redisKey(prefix, 's1')])
    expect(await client.pttl(redisKey(prefix, 's1'))).toBeGreaterThan(0)
  })

  it('a reader of Redis learns no session id: no key, channel or command argument of a whole lifecycle holds it', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const cookie = 'c00kie-value-the-examples-use-as-session-id'
    const monitor = await createTestRedis().monitor()
    extraClients.push(monitor)
    const seen: string[] = []
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(prefix))) seen.push(...args)
    })
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: redisStore(createTestRedis(), prefix),
    })
    const other = managerFor(bolt, createFetchTransport(), {
      store: redisStore(createTestRedis(), prefix),
    })
    await logIn(bolt, tokens, cookie)
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 100 })
    // Two instances at once: one refreshes, the other subscribes to the change channel.
    const [a, b] = await Promise.all([tokens.getAccessToken(cookie), other.getAccessToken(cookie)])
    expect(a).toBe(b)
    await tokens.logout(cookie)
    await createTestRedis().get(`${prefix}marker`)
    await expect.poll(() => seen.includes(`${prefix}marker`)).toBe(true)

    expect(seen).toContain(redisKey(prefix, cookie))
    expect(seen).toContain(`${redisKey(prefix, cookie)}:changed`)
    const names = seen.filter((arg) => arg.startsWith(prefix) && arg !== `${prefix}marker`)
    // Session keys are HMACs; the one fixed name is the key the store reads Redis's clock on.
    expect(
      names.filter((name) => !/^[^{]*\{([A-Za-z0-9_-]{43}|lease-clock)\}(:changed)?$/.test(name)),
    ).toEqual([])
    expect(names).toContain(`${prefix}{lease-clock}`)
    expect(seen.filter((arg) => arg.includes(cookie))).toEqual([])
    expect(await createTestRedis().keys(`*${cookie}*`)).toEqual([])
  })

  it('a valid-token getAccessToken costs exactly one Redis command (GET)', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: redisStore(createTestRedis(), prefix),
    })
    await logIn(bolt, tokens, 's1')

    const monitor = await createTestRedis().monitor()
    extraClients.push(monitor)
    const seen: string[][] = []
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(prefix))) seen.push(args)
    })
    for (let call = 0; call < 10; call++) await tokens.getAccessToken('s1')
    // A marker proves MONITOR has delivered everything sent before it.
    await createTestRedis().get(`${prefix}marker`)
    await expect.poll(() => seen.some((args) => args[1] === `${prefix}marker`)).toBe(true)

    const reads = seen.filter((args) => args[1] !== `${prefix}marker`)
    expect(reads).toHaveLength(10)
    expect(
      reads.every(
        ([command, key]) => command?.toLowerCase() === 'get' && key === redisKey(prefix, 's1'),
      ),
    ).toBe(true)
  })

  it('Redis that does not answer → STORE_UNAVAILABLE within the command timeout, and no token request', async () => {
    const bolt = await startEmulator()
    const hole = await startBlackHole()
    const client = new Redis({
      host: '127.0.0.1',
      port: hole.port,
      commandTimeout: 300,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    })
    client.on('error', () => {})
    extraClients.push(client)
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: redisStore(client, randomPrefix()),
    })

    const started = performance.now()
    const error = await rejection(tokens.getAccessToken('s1'))
    const elapsed = performance.now() - started

    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(error.message).toContain('nothing was changed')
    // A sanity bound, not a speed target: it gave up after the client's timeout instead of hanging.
    expect(elapsed).toBeLessThan(5_000)
    expect(bolt.stats.tokenRequests).toBe(0)
    await hole.close()
  })

  it('Redis lost between a refresh and its write: the caller still gets the new token, the error is reported, and the next call saves it without presenting the spent refresh token', async () => {
    const bolt = await startEmulator()
    const url = new URL(redisUrl ?? '')
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) })
    const prefix = randomPrefix()
    const proxied = new Redis({
      host: '127.0.0.1',
      port: proxy.port,
      commandTimeout: 300,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    })
    proxied.on('error', () => {})
    extraClients.push(proxied)
    const tokens = managerFor(bolt, createFetchTransport(), { store: redisStore(proxied, prefix) })
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 400 })

    const pending = tokens.getAccessToken('s1')
    await expect.poll(() => bolt.stats.tokenRequests, { timeout: 2_000 }).toBe(2)
    await proxy.cut()
    const token = await pending

    expect(token.startsWith('at_')).toBe(true)
    expect(await accountStatus(bolt, token, 'read')).toBe(200)
    expect(tokens.errors.map((event) => event.error.code)).toEqual(['STORE_UNAVAILABLE'])
    expect(tokens.errors[0]?.detail).toContain('caller got the new access token')
    const direct = createTestRedis()
    expect((await storedRecord(direct, prefix, 's1'))?.value).toBe('refresh')

    await proxy.restore()
    await expect.poll(() => proxied.status, { timeout: 3_000 }).toBe('ready')
    expect(await tokens.getAccessToken('s1')).toBe(token)

    expect(bolt.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1)
    const saved = await storedRecord(direct, prefix, 's1')
    expect(saved?.value).toBe('viewOnly')
    expect(saved?.context.tokens?.accessToken).toBe(token)
    expect(saved?.context.lease).toBeNull()
    await proxy.close()
  })
})
