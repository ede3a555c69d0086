import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import type { TokenStore } from '../../src/contracts.js'
import { createStoreKeyCipher } from '../../src/crypto/encryption.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { openAsEnc1, sealAsEnc1 } from '../support/enc1-records.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator, storeKey } from '../support/harness.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { rejection } from '../support/rejection.js'

const key1 = randomBytes(32).toString('base64')

const key2 = randomBytes(32).toString('base64')

/** Every token and code the emulator handed out, read from the real answers. */
function recordingTransport(seen: Set<string>) {
  const inner = createFetchTransport()
  return {
    async send(request: Parameters<typeof inner.send>[0]) {
      for (const [, value] of new URLSearchParams(request.body ?? '')) seen.add(value)
      const response = await inner.send(request)
      try {
        const json = JSON.parse(response.body) as Record<string, unknown>
        for (const field of ['access_token', 'refresh_token', 'id_token']) {
          if (typeof json[field] === 'string') seen.add(json[field])
        }
      } catch {}
      return response
    },
  }
}

function encryptedManager(
  bolt: BoltEmulator,
  store: TokenStore,
  keys: Record<string, string>,
  current: string,
  seen = new Set<string>(),
  acceptPlaintextUntil?: number,
) {
  return managerFor(bolt, recordingTransport(seen), {
    store,
    encryption: {
      keys,
      current,
      ...(acceptPlaintextUntil === undefined ? {} : { acceptPlaintextUntil }),
    },
  })
}

const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

describe('encryption at rest', () => {
  it('stores AES-GCM ciphertext under the current key id, with no token or state in clear, and works end to end', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const seen = new Set<string>()
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1', seen)
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    const token = await tokens.getAccessToken('s1')
    expect(token.startsWith('at_')).toBe(true)

    const raw = (await store.get(storeKey(bolt, 's1')))?.value ?? ''
    expect(raw).toMatch(/^enc2\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(seen.size).toBeGreaterThan(4)
    for (const secret of seen) expect(raw).not.toContain(secret)
    expect(raw).not.toContain('viewOnly')
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
  })

  it('a fresh IV per write: the same record never encrypts to the same value', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    await logIn(bolt, tokens, 's1')
    const first = (await store.get(storeKey(bolt, 's1')))?.value
    await tokens.logout('s1')
    await logIn(bolt, tokens, 's1')
    expect((await store.get(storeKey(bolt, 's1')))?.value.split('.')[2]).not.toBe(
      first?.split('.')[2],
    )
  })

  it('a ciphertext moved to another session does not decrypt: it reads as absent and the key id alone is reported', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    await logIn(bolt, tokens, 'victim')
    const stolen = (await store.get(storeKey(bolt, 'victim')))?.value ?? ''
    await store.compareAndSet(storeKey(bolt, 'attacker'), stolen, {
      expectedVersion: 0,
      ttlMs: 60_000,
    })

    expect((await rejection(tokens.getAccessToken('attacker'))).code).toBe('NOT_AUTHENTICATED')
    expect((await tokens.getStatus('attacker')).state).toBe('unauthenticated')
    expect(bolt.stats.tokenRequests).toBe(1)
    const [report] = tokens.errors
    expect(report?.error.code).toBe('RECORD_UNREADABLE')
    expect(report?.error.message).toContain("key id 'k1'")
    expect(JSON.stringify(report?.error)).not.toContain(key1)
    // The victim's own session is untouched.
    expect((await tokens.getStatus('victim')).state).toBe('fullyScoped')
  })

  it('a tampered ciphertext reads as absent, and a new login replaces it', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    await logIn(bolt, tokens, 's1')
    const stored = await store.get(storeKey(bolt, 's1'))
    const raw = stored?.value ?? ''
    const flipped = `${raw.slice(0, -2)}${raw.at(-2) === 'A' ? 'B' : 'A'}${raw.at(-1)}`
    await store.compareAndSet(storeKey(bolt, 's1'), flipped, {
      expectedVersion: stored?.version ?? 0,
      ttlMs: 60_000,
    })

    expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')
    expect(tokens.errors.map((event) => event.error.code)).toEqual(['RECORD_UNREADABLE'])
    await logIn(bolt, tokens, 's1')
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')
  })

  it('key rotation: old keys decrypt, the current key encrypts, records are re-encrypted on their next write', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const before = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    await logIn(bolt, before, 's1')
    const manageToken = await before.getAccessToken('s1')

    const rotated = encryptedManager(bolt, store, { k1: key1, k2: key2 }, 'k2')
    expect(await rotated.getAccessToken('s1')).toBe(manageToken)
    expect((await store.get(storeKey(bolt, 's1')))?.value.startsWith('enc2.k1.')).toBe(true)
    bolt.advanceClock(PAST_EXPIRY_MS)
    await rotated.getAccessToken('s1')
    expect((await store.get(storeKey(bolt, 's1')))?.value.startsWith('enc2.k2.')).toBe(true)

    const retired = encryptedManager(bolt, store, { k2: key2 }, 'k2')
    expect((await retired.getStatus('s1')).state).toBe('viewOnly')
    // A manager without k2 cannot read it, and says which key it lacked.
    const stale = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    expect((await stale.getStatus('s1')).state).toBe('unauthenticated')
    expect(stale.errors[0]?.error.message).toContain("key id 'k2'")
  })

  it('a plaintext record planted at a session while encryption is on is refused: RECORD_UNREADABLE, and its token is never handed out', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    await logIn(bolt, tokens, 'victim')
    // The attacker logs in to Bolt as themself, with encryption off, and copies the plaintext
    // record over the victim's key (a Redis writer can set any value).
    const attackerStore = createMemoryStore({ clock: bolt.now })
    const attacker = managerFor(bolt, createFetchTransport(), { store: attackerStore })
    await logIn(bolt, attacker, 'attacker')
    const attackerToken = await attacker.getAccessToken('attacker')
    const planted = (await attackerStore.get(storeKey(bolt, 'attacker')))?.value ?? ''
    const victim = await store.get(storeKey(bolt, 'victim'))
    expect(
      await store.compareAndSet(storeKey(bolt, 'victim'), planted, {
        expectedVersion: victim?.version ?? 0,
        ttlMs: 60_000,
      }),
    ).toBeDefined()

    expect((await rejection(tokens.getAccessToken('victim'))).code).toBe('NOT_AUTHENTICATED')
    expect((await tokens.getStatus('victim')).state).toBe('unauthenticated')
    expect(tokens.errors.map((event) => event.error.code)).toEqual(['RECORD_UNREADABLE'])
    expect(tokens.errors[0]?.error.message).toContain('the record is not encrypted')
    expect(JSON.stringify(tokens.errors[0])).not.toContain(attackerToken)
    // The victim's next login replaces the planted record.
    await logIn(bolt, tokens, 'victim')
    expect(await tokens.getAccessToken('victim')).not.toBe(attackerToken)
    expect((await tokens.getStatus('victim')).state).toBe('fullyScoped')
  })

  it('turning encryption on: within acceptPlaintextUntil plaintext records read and are encrypted on their next write; after it they are refused', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const plain = managerFor(bolt, createFetchTransport(), { store })
    await logIn(bolt, plain, 's1')
    await logIn(bolt, plain, 's2')
    expect((await store.get(storeKey(bolt, 's1')))?.value.startsWith('{')).toBe(true)
    const until = bolt.now() + 2 * PAST_EXPIRY_MS
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1', new Set(), until)
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s1')
    expect((await store.get(storeKey(bolt, 's1')))?.value.startsWith('enc2.k1.')).toBe(true)

    // s2 was not written before the window closed: its plaintext is refused from then on.
    bolt.advanceClock(PAST_EXPIRY_MS)
    expect((await tokens.getStatus('s2')).state).toBe('unauthenticated')
    expect(tokens.errors.map((event) => event.error.code)).toEqual(['RECORD_UNREADABLE'])
    expect((await tokens.getStatus('s1')).state).toBe('expired')
  })

  it('an enc1 record (bound to the session id, written by an earlier version) still reads, and its next write binds it to the store key (enc2); a tool with only the store key cannot open it', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const plain = managerFor(bolt, createFetchTransport(), { store })
    await logIn(bolt, plain, 's1')
    const stored = await store.get(storeKey(bolt, 's1'))
    const legacy = await sealAsEnc1(stored?.value ?? '', 's1', 'k1', key1)
    await store.compareAndSet(storeKey(bolt, 's1'), legacy, {
      expectedVersion: stored?.version ?? 0,
      ttlMs: 86_400_000,
    })

    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')
    const tool = createStoreKeyCipher({ keys: { k1: key1 }, current: 'k1' })
    const opening = await rejection(tool.decrypt(legacy, storeKey(bolt, 's1')))
    expect(opening.message).toContain('bound to its session id')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s1')
    const rewritten = (await store.get(storeKey(bolt, 's1')))?.value ?? ''
    expect(rewritten.startsWith('enc2.k1.')).toBe(true)
    expect(JSON.parse(await tool.decrypt(rewritten, storeKey(bolt, 's1'))).value).toBe('viewOnly')
    expect(tokens.errors).toEqual([])
  })

  it('writeSessionBound (a rolling upgrade from 0.2.0): records are written as enc1, which 0.2.0 opens; without it, the next write is enc2', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const rolling = managerFor(bolt, createFetchTransport(), {
      store,
      encryption: { keys: { k1: key1 }, current: 'k1', writeSessionBound: true },
    })
    await logIn(bolt, rolling, 's1')
    const written = (await store.get(storeKey(bolt, 's1')))?.value ?? ''
    expect(written.startsWith('enc1.k1.')).toBe(true)
    // What an instance still on 0.2.0 does with it: it opens it.
    expect(JSON.parse(await openAsEnc1(written, 's1', key1)).value).toBe('fullyScoped')
    expect((await rolling.getStatus('s1')).state).toBe('fullyScoped')

    // The rollout done, the option removed: the next write is enc2.
    const upgraded = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await upgraded.getAccessToken('s1')
    const rewritten = (await store.get(storeKey(bolt, 's1')))?.value ?? ''
    expect(rewritten.startsWith('enc2.k1.')).toBe(true)
    expect((await rejection(openAsEnc1(rewritten, 's1', key1))).message).toContain('enc1 only')
    expect(rolling.errors).toEqual([])
    expect(upgraded.errors).toEqual([])
  })

  it('refuses a migration window longer than sessionTtlMs, or one that is not a time', async () => {
    const bolt = await startEmulator()
    const attempts: [unknown, string][] = [
      [bolt.now() + 31 * 24 * 3_600_000, 'must be at most sessionTtlMs'],
      ['tomorrow', 'must be a Date or epoch milliseconds'],
      [new Date(Number.NaN), 'must be a Date or epoch milliseconds'],
    ]
    for (const [acceptPlaintextUntil, message] of attempts) {
      const thrown = (() => {
        try {
          managerFor(bolt, createFetchTransport(), {
            encryption: { keys: { k1: key1 }, current: 'k1', acceptPlaintextUntil } as never,
          })
        } catch (error) {
          return error as { code?: string; message: string }
        }
        return undefined
      })()
      expect(thrown?.code).toBe('INVALID_ARGUMENT')
      expect(thrown?.message).toContain('encryption.acceptPlaintextUntil')
      expect(thrown?.message).toContain(message)
    }
  })

  it('the documented limit: an earlier ciphertext of the same session, written back with its version, restores that earlier record (it cannot be read, altered or moved)', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1')
    await logIn(bolt, tokens, 's1')
    const key = storeKey(bolt, 's1')
    const before = await store.get(key)
    await tokens.logout('s1')
    expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')

    // A store writer replays the value it saw before the logout. The store is the only state
    // instances share, so nothing can tell this write from a genuine one (docs/security.md).
    const tombstone = await store.get(key)
    await store.compareAndSet(key, before?.value ?? '', {
      expectedVersion: tombstone?.version ?? 0,
      ttlMs: 60_000,
    })
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')
    expect(tokens.errors).toEqual([])
  })

  it('refuses a bad keyring at construction, naming the problem and never the key', async () => {
    const bolt = await startEmulator()
    const attempts: [Record<string, string>, string, string][] = [
      [{ k1: randomBytes(16).toString('base64') }, 'k1', "the key with id 'k1' must be 32 bytes"],
      [{ k1: key1 }, 'k9', "current ('k9') must name one of keys"],
      [{ 'bad id!': key1 }, 'bad id!', "a key id 'bad id!' must be 1-64 letters"],
      // Ids and keys swapped, as a hand-written environment variable may have them: the key,
      // given as an id, is never quoted, in any of the three places an id is named.
      [{ [key1]: 'k1' }, 'k1', 'of 44 characters (not shown: it may be a key)'],
      [
        { [key1.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')]: 'k1' },
        'k1',
        'the key with id of 43 characters (not shown: it may be a key)',
      ],
      [
        { k1: key1 },
        key1,
        'current (of 44 characters (not shown: it may be a key)) must name one of keys',
      ],
    ]
    for (const [keys, current, message] of attempts) {
      let thrown: unknown
      try {
        encryptedManager(bolt, createMemoryStore(), keys, current)
      } catch (error) {
        thrown = error
      }
      expect((thrown as { code?: string }).code).toBe('INVALID_ARGUMENT')
      expect((thrown as Error).message).toContain(message)
      for (const key of [...Object.values(keys), ...Object.keys(keys), current]) {
        if (key.length > 24) expect((thrown as Error).message).not.toContain(key)
      }
      for (const key of Object.values(keys)) expect((thrown as Error).message).not.toContain(key)
    }
  })
})

describeRedis('encryption at rest on Redis', () => {
  it('the raw Redis value holds no token', async () => {
    const bolt = await startEmulator()
    const client = createTestRedis()
    const prefix = randomPrefix()
    const store = createRedisStore(client, { prefix })
    stores.push(store)
    const seen = new Set<string>()
    const tokens = encryptedManager(bolt, store, { k1: key1 }, 'k1', seen)
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s1')

    const raw = String(await client.get(`${prefix}{${storeKey(bolt, 's1')}}`))
    expect(raw).toContain('enc2.k1.')
    for (const secret of seen) expect(raw).not.toContain(secret)
  })
})
