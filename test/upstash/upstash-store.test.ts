// The Upstash store beyond the conformance suite: what HTTP costs (requests per read, polls),
// the client's JSON deserialization, and failures (auth, a flushed script cache, foreign keys).
import { afterEach, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createRedisStore } from '../../adapters/storage/redis.js'
import { dataKeyOf } from '../../adapters/storage/redis-protocol.js'
import { createUpstashStore, type UpstashStore } from '../../adapters/storage/upstash.js'
import { isBoltTokenError } from '../../src/errors.js'
import { logIn, managerFor, startEmulator } from '../support/harness.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { rejection } from '../support/rejection.js'
import { upstashClient, useUpstashServer } from '../support/upstash.js'

const ttlMs = 60_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describeRedis('Upstash store over HTTP', () => {
  const server = useUpstashServer()
  const opened: UpstashStore[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
  })
  const storeOn = (...args: Parameters<typeof createUpstashStore>) => {
    const store = createUpstashStore(...args)
    opened.push(store)
    return store
  }

  it('a valid-token read is one HTTP request (one GET), counted at the server', async () => {
    const bolt = await startEmulator()
    const store = storeOn(upstashClient(server()), { prefix: randomPrefix() })
    const tokens = managerFor(bolt, createFetchTransport(), { store })
    await logIn(bolt, tokens, 'shopper')
    const token = await tokens.getAccessToken('shopper')

    server().resetStats()
    for (let i = 0; i < 20; i++)
      expect((await tokens.getAccessToken('shopper')) === token).toBe(true)
    expect(server().stats()).toEqual({
      requests: 20,
      // @upstash/redis auto-pipelines by default: a lone command is a pipeline of one.
      routes: { '/pipeline': 20 },
      commands: { GET: 20 },
      unauthorized: 0,
    })

    // Without auto-pipelining, the same read is one plain command.
    const plain = storeOn(upstashClient(server(), { enableAutoPipelining: false }), {
      prefix: randomPrefix(),
    })
    await plain.compareAndSet('k', 'v', { expectedVersion: 0, ttlMs })
    server().resetStats()
    expect((await plain.get('k'))?.value).toBe('v')
    expect(server().stats()).toEqual({
      requests: 1,
      routes: { '/': 1 },
      commands: { GET: 1 },
      unauthorized: 0,
    })
  })

  it('records come back exactly whatever the client decodes: JSON texts, numbers, "OK", base64-looking and non-ASCII values', async () => {
    // The trap: by default the client JSON-parses what it reads. A bare JSON value comes back
    // as an object; the store's `<version>:<record>` string is never valid JSON.
    const client = upstashClient(server())
    const probe = `${randomPrefix()}probe`
    await client.set(probe, '{"a":1}')
    expect(await client.get(probe)).toEqual({ a: 1 })

    const values = [
      '{"refresh":"r-1","access":"a-1"}',
      '"quoted"',
      '123',
      '1e3',
      'true',
      'null',
      '[1,"2"]',
      'OK',
      'T0s=',
      'é€😀',
      '',
      '12:{"nested":"colon"}',
    ]
    const configurations = [
      {},
      { automaticDeserialization: false },
      { responseEncoding: false as const },
      { automaticDeserialization: false, responseEncoding: false as const },
      { enableAutoPipelining: false },
    ]
    for (const configuration of configurations) {
      const store = storeOn(upstashClient(server(), configuration), { prefix: randomPrefix() })
      for (const [index, value] of values.entries()) {
        const version = await store.compareAndSet(`k${index}`, value, {
          expectedVersion: 0,
          ttlMs,
        })
        expect(version).toBeTypeOf('number')
        expect(await store.get(`k${index}`), JSON.stringify(configuration)).toEqual({
          value,
          version,
        })
        const next = await store.compareAndSet(`k${index}`, value, {
          expectedVersion: version ?? -1,
          ttlMs,
        })
        expect(next).toBe((version ?? 0) + 1)
      }
    }
  })

  it('shares one layout with the Redis store: each reads what the other wrote, and fences it', async () => {
    const prefix = randomPrefix()
    const upstash = storeOn(upstashClient(server()), { prefix })
    const redis = createRedisStore(createTestRedis(), { prefix })
    try {
      const v1 =
        (await redis.compareAndSet('k', '{"by":"redis"}', { expectedVersion: 0, ttlMs })) ?? -1
      expect(await upstash.get('k')).toEqual({ value: '{"by":"redis"}', version: v1 })
      expect(await upstash.compareAndSet('k', 'stale', { expectedVersion: v1 - 1, ttlMs })).toBe(
        undefined,
      )
      expect(
        await upstash.compareAndSet('k', '{"by":"upstash"}', { expectedVersion: v1, ttlMs }),
      ).toBe(v1 + 1)
      expect(await redis.get('k')).toEqual({ value: '{"by":"upstash"}', version: v1 + 1 })
    } finally {
      await redis.close()
    }
  })

  it('polling wakes a waiter in another process within the interval, in one request per interval for all keys, and stops when nobody listens', async () => {
    const prefix = randomPrefix()
    const waiter = storeOn(upstashClient(server()), { prefix, pollIntervalMs: 50 })
    const writer = storeOn(upstashClient(server()), { prefix })
    const keys = ['a', 'b', 'c', 'd', 'e']
    const heard: string[] = []
    const stops = await Promise.all(keys.map((key) => waiter.subscribe(key, () => heard.push(key))))

    server().resetStats()
    await sleep(520)
    const { commands, requests } = server().stats()
    // ~10 polls in 520 ms at 50 ms (each waits for the previous answer): all five keys in each.
    expect(Object.keys(commands)).toEqual(['EVALSHA'])
    expect(requests).toBeGreaterThanOrEqual(6)
    expect(requests).toBeLessThanOrEqual(11)
    expect(heard).toEqual([])

    const written = performance.now()
    await writer.compareAndSet('c', 'new', { expectedVersion: 0, ttlMs })
    while (heard.length === 0 && performance.now() - written < 2_000) await sleep(2)
    expect(heard).toEqual(['c'])
    expect(performance.now() - written).toBeLessThan(400)

    // A delete is a change too.
    await writer.delete('c')
    while (heard.length === 1 && performance.now() - written < 2_000) await sleep(2)
    expect(heard).toEqual(['c', 'c'])

    for (const stop of stops) stop()
    await sleep(120)
    server().resetStats()
    await sleep(200)
    expect(server().stats().requests).toBe(0)

    // close() stops a poller that still has subscribers.
    await waiter.subscribe('a', () => heard.push('late'))
    await waiter.close()
    server().resetStats()
    await writer.compareAndSet('a', 'x', { expectedVersion: 0, ttlMs })
    await sleep(200)
    expect(server().stats().requests).toBe(1)
    expect(heard).toEqual(['c', 'c'])
  })

  it('a wrong token fails clearly, as STORE_UNAVAILABLE through the manager, and no error carries the record', async () => {
    const bolt = await startEmulator()
    const prefix = randomPrefix()
    const good = storeOn(upstashClient(server()), { prefix })
    const tokens = managerFor(bolt, createFetchTransport(), { store: good })
    await logIn(bolt, tokens, 'shopper')
    const token = await tokens.getAccessToken('shopper')

    const before = server().stats().unauthorized
    const badClient = upstashClient(server(), { token: 'wrong-token' })
    const bad = storeOn(badClient, { prefix })
    const read = await rejection(Promise.resolve(bad.get('anything')))
    expect(read.message).toBe('Upstash GET failed: Unauthorized: missing or invalid bearer token')
    const secret = 'refresh-token-that-must-not-leak'
    const write = await rejection(bad.compareAndSet('k', secret, { expectedVersion: 0, ttlMs }))
    expect(write.message).toBe(
      'Upstash EVALSHA failed: Unauthorized: missing or invalid bearer token',
    )
    const plain = storeOn(
      upstashClient(server(), { token: 'wrong', enableAutoPipelining: false }),
      {
        prefix,
      },
    )
    const plainWrite = await rejection(
      plain.compareAndSet('k', secret, { expectedVersion: 0, ttlMs }),
    )
    // The client quoted the whole command, record included; the store keeps the server's words.
    expect(plainWrite.message).toBe(
      'Upstash EVALSHA failed: Unauthorized: missing or invalid bearer token',
    )
    for (const error of [read, write, plainWrite]) {
      expect(JSON.stringify(error)).not.toContain(secret)
      expect(String(error.stack)).not.toContain(secret)
      expect(error.cause).toBe(undefined)
    }
    expect(server().stats().unauthorized - before).toBe(3)

    const other = managerFor(bolt, createFetchTransport(), { store: bad })
    const failed = await rejection(other.getAccessToken('shopper'))
    expect(isBoltTokenError(failed) && failed.code).toBe('STORE_UNAVAILABLE')
    expect((failed.cause as Error).message).toContain('Unauthorized')
    expect(JSON.stringify(failed)).not.toContain(token)
  })

  it('a flushed script cache costs one EVAL, then EVALSHA again', async () => {
    const store = storeOn(upstashClient(server()), { prefix: randomPrefix() })
    await store.compareAndSet('k', 'one', { expectedVersion: 0, ttlMs })
    await createTestRedis().script('FLUSH')
    server().resetStats()
    const version = await store.compareAndSet('k', 'two', { expectedVersion: 0, ttlMs })
    expect(version).toBe(undefined)
    const current = (await store.get('k'))?.version ?? -1
    expect(await store.compareAndSet('k', 'two', { expectedVersion: current, ttlMs })).toBe(
      current + 1,
    )
    expect(server().stats().commands).toEqual({ EVALSHA: 2, EVAL: 1, GET: 1 })
  })

  it('a foreign key (another type, a JSON string the client decodes, a string without a version) reads as absent and a login replaces it', async () => {
    const prefix = randomPrefix()
    const store = storeOn(upstashClient(server()), { prefix })
    const redis = createTestRedis()
    await redis.hset(dataKeyOf(prefix, 'hash'), 'field', 'value')
    // Both decoded by the client (an object, a number): neither is a record.
    await redis.set(dataKeyOf(prefix, 'json'), '{"json":true}')
    await redis.set(dataKeyOf(prefix, 'number'), '123')
    await redis.set(dataKeyOf(prefix, 'plain'), 'no version here')
    for (const key of ['hash', 'json', 'number', 'plain']) {
      expect(await store.get(key), key).toBe(undefined)
      expect(await store.compareAndSet(key, 'mine', { expectedVersion: 0, ttlMs })).toBeTypeOf(
        'number',
      )
      expect((await store.get(key))?.value).toBe('mine')
    }
  })

  it('refuses a poll interval out of bounds', () => {
    const client = upstashClient(server())
    for (const pollIntervalMs of [0, 5, 10_001, Number.NaN]) {
      expect(() => createUpstashStore(client, { pollIntervalMs })).toThrow(
        `pollIntervalMs (${pollIntervalMs}) must be from 10 to 10000 ms`,
      )
    }
  })
})
