import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { TokenStore } from '../../src/contracts.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

/** A session cookie's value, as the examples use it for the session id. */
const COOKIE = 'Zm9vYmFyYmF6cXV4LWNvb2tpZS12YWx1ZQ'

/** Wraps a store, recording every key any method is called with. */
function recordingKeys(store: TokenStore, keys: string[]): TokenStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      // Every method but the store's clocks names a key.
      if (typeof value !== 'function' || property === 'clock' || property === 'time') return value
      return (key: string, ...rest: unknown[]) => {
        keys.push(key)
        return value.call(target, key, ...rest)
      }
    },
  })
}

describe('store keys', () => {
  it('the store never sees the session id: every key of a whole lifecycle is its HMAC under the API key', async () => {
    const bolt = await startEmulator()
    const keys: string[] = []
    const tokens = managerFor(bolt, createFetchTransport(), {
      store: recordingKeys(createMemoryStore({ clock: bolt.now }), keys),
    })
    await logIn(bolt, tokens, COOKIE)
    await tokens.getAccessToken(COOKIE)
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken(COOKIE)
    await tokens.getStatus(COOKIE)
    await tokens.logout(COOKIE)

    expect(keys.length).toBeGreaterThanOrEqual(8)
    expect(new Set(keys)).toEqual(new Set([deriveStoreKey(bolt.clientSecret, COOKIE)]))
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(keys[0]).not.toContain(COOKIE)
  })

  it('storeKeySecret keys the names: managers with the same secret share sessions, with another they do not', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const secret = 'a-merchant-secret-of-at-least-32-characters'
    const first = managerFor(bolt, createFetchTransport(), { store, storeKeySecret: secret })
    await logIn(bolt, first, 's1')
    const token = await first.getAccessToken('s1')

    const same = managerFor(bolt, createFetchTransport(), {
      store,
      storeKeySecret: new TextEncoder().encode(secret),
    })
    expect(await same.getAccessToken('s1')).toBe(token)
    // The default (the API key) names another key: that manager finds no session.
    const byApiKey = managerFor(bolt, createFetchTransport(), { store })
    expect((await rejection(byApiKey.getAccessToken('s1'))).code).toBe('NOT_AUTHENTICATED')
    expect(store.size()).toBe(1)
    expect(await store.get(deriveStoreKey(secret, 's1'))).toBeDefined()
  })

  it('refuses a short storeKeySecret, without echoing it', async () => {
    const bolt = await startEmulator()
    for (const storeKeySecret of ['short-secret', new Uint8Array(8), 42]) {
      const thrown = (() => {
        try {
          managerFor(bolt, createFetchTransport(), { storeKeySecret } as never)
        } catch (error) {
          return error as { code?: string; message: string }
        }
        return undefined
      })()
      expect(thrown?.code).toBe('INVALID_ARGUMENT')
      expect(thrown?.message).toContain('`storeKeySecret` must be a random string of at least 32')
      expect(thrown?.message).not.toContain('short-secret')
    }
  })
})
