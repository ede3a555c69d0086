// One shopper logged in through the emulator, for the Account API clients' tests, with a way
// to list every secret the session has held (to look for them where they must not be).
import { inspect } from 'node:util'
import { expect } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { TokenStore } from '../../src/contracts.js'
import { decodeSessionRecord } from '../../src/manager/session-record.js'
import { logIn, managerFor, startEmulator } from '../support/harness.js'

/** The session every scene logs in. */
export const SESSION = 'shopper-1'

/** The emulator clock at the start of a scene. */
export const T0 = Date.parse('2030-01-01T00:00:00Z')

/**
 * Starts the emulator, logs {@link SESSION} in (fully scoped) and resets the emulator's
 * counters. `managerClock` replaces the manager's clock (the emulator's by default).
 */
export async function accountScene(managerClock?: () => number) {
  const bolt = await startEmulator({ now: T0 })
  // Every record the manager writes, to know every token the session has held.
  const written: string[] = []
  const memory = createMemoryStore({ clock: bolt.now })
  const store: TokenStore = {
    ...memory,
    compareAndSet: (key, value, options) => {
      written.push(value)
      return memory.compareAndSet(key, value, options)
    },
  }
  const tokens = managerFor(bolt, createFetchTransport(), {
    store,
    ...(managerClock ? { clock: managerClock } : {}),
  })
  await logIn(bolt, tokens, SESSION)
  bolt.resetStats()
  /**
   * The API key (which the clients send as `X-API-Key`, so it must be looked for like the
   * tokens) and every token the session has held so far.
   */
  const rememberSecrets = async (): Promise<Set<string>> => {
    const secrets = new Set<string>([bolt.clientSecret])
    for (const record of written) {
      const held = decodeSessionRecord(record)?.context.tokens
      for (const secret of [held?.accessToken, held?.refreshToken, held?.idToken]) {
        if (secret) secrets.add(secret)
      }
    }
    return secrets
  }
  return { bolt, tokens, rememberSecrets }
}

/** Expects none of `secrets` anywhere in `util.inspect` of `things`, to any depth. */
export function expectNoSecrets(things: unknown[], secrets: Iterable<string>): void {
  const text = things
    .map((thing) => inspect(thing, { depth: Number.POSITIVE_INFINITY, showHidden: true }))
    .join('\n')
  const found = [...secrets].filter((secret) => text.includes(secret))
  expect(found.map((secret) => `${secret.slice(0, 6)}…`)).toEqual([])
}
