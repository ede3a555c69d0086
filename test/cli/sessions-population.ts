// The sessions the admin-command tests make, by real token managers against the emulator, and
// the store they are made in (Redis or PostgreSQL, fresh for each test).
import { expect } from 'vitest'
import type { TokenStore } from '../../src/contracts.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import type { TokenManager } from '../../src/manager/token-manager-types.js'
import { PAST_EXPIRY_MS, storeKey } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { managerOn, ring } from './sessions-helpers.js'

/** One store the suite runs on, fresh for each test. */
export interface CommandTarget {
  store: TokenStore
  /** The command-line options naming it: `--redis URL --prefix P` or `--postgres URL --table T`. */
  argv: string[]
  /** How the command names it in its output. */
  description: string
  /** How long the store keeps a record, in ms (its own reading, not the command's). */
  ttlMs(key: string): Promise<number | undefined>
  /** Command-line options pointing at a store that does not answer, and what the error says. */
  unreachable: { argv: string[]; says: string }
}

/** The sessions {@link populate} makes, by what they show. */
export const SESSIONS = {
  fresh: 'session-fresh',
  expired: 'session-expired',
  refreshed: 'session-refreshed',
  revoked: 'session-revoked',
  loggedOut: 'session-logged-out',
  foreignKey: 'session-foreign-key',
  plaintext: 'session-plaintext',
} as const

export async function logInAs(bolt: BoltEmulator, tokens: TokenManager, id: string, email: string) {
  await tokens.exchangeCode(id, { code: bolt.login({ email }).code })
}

/**
 * Seven sessions, made by managers of `bolt` on `store`: five encrypted under k1 (fully scoped,
 * expired, refreshed to view-only, ended by a revoked refresh token, logged out), one under k0
 * (a key the command is not given) and one plaintext.
 */
export async function populate(bolt: BoltEmulator, store: TokenStore) {
  const tokens = managerOn(bolt, store, ring(['k1'], 'k1'))
  await logInAs(bolt, tokens, SESSIONS.expired, 'eve@example.com')
  await logInAs(bolt, tokens, SESSIONS.refreshed, 'rae@example.com')
  await logInAs(bolt, tokens, SESSIONS.revoked, 'rob@example.com')
  bolt.revokeSession(await tokens.getAccessToken(SESSIONS.revoked))
  bolt.advanceClock(PAST_EXPIRY_MS)
  await tokens.getAccessToken(SESSIONS.refreshed)
  expect((await rejection(tokens.getAccessToken(SESSIONS.revoked))).code).toBe('INVALID_GRANT')
  await logInAs(bolt, tokens, SESSIONS.fresh, 'ada@example.com')
  await logInAs(bolt, tokens, SESSIONS.loggedOut, 'lou@example.com')
  await tokens.logout(SESSIONS.loggedOut)
  const foreign = managerOn(bolt, store, ring(['k0'], 'k0'))
  await logInAs(bolt, foreign, SESSIONS.foreignKey, 'fay@example.com')
  const plain = managerOn(bolt, store)
  await logInAs(bolt, plain, SESSIONS.plaintext, 'pat@example.com')
  return tokens
}

/** The stored record of a session: version and value, by the store's own read. */
export async function stored(target: CommandTarget, bolt: BoltEmulator, id: string) {
  return target.store.get(storeKey(bolt, id))
}
