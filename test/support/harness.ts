import ky from 'ky'
import { afterAll, afterEach } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createKyTransport } from '../../adapters/http/ky.js'
import { createUndiciTransport } from '../../adapters/http/undici.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { HttpTransport, TokenStore } from '../../src/contracts.js'
import {
  accountStatus as accountStatusAt,
  type BoltEmulator,
  type BoltEmulatorOptions,
  emulatorManagerOptions,
  startBoltEmulator,
} from '../../src/emulator/index.js'
import type {
  ErrorEvent,
  LeaseTakenOverEvent,
  TransitionEvent,
} from '../../src/manager/lifecycle-events.js'
import type { TokenManagerOptions } from '../../src/manager/options.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../../src/manager/token-manager.js'

/** The HTTP adapters every manager test runs through. */
export const transports: { name: string; create: () => HttpTransport }[] = [
  { name: 'fetch', create: () => createFetchTransport() },
  { name: 'ky', create: () => createKyTransport(ky.create({})) },
  { name: 'undici', create: () => createUndiciTransport() },
]

const closedAfterTest: BoltEmulator[] = []
const closedAfterFile: BoltEmulator[] = []
const closeAll = (emulators: BoltEmulator[]) => async () => {
  await Promise.all(emulators.splice(0).map((bolt) => bolt.close()))
}
afterEach(closeAll(closedAfterTest))
afterAll(closeAll(closedAfterFile))

async function startClosedWith(closed: BoltEmulator[], options: BoltEmulatorOptions) {
  const bolt = await startBoltEmulator(options)
  closed.push(bolt)
  return bolt
}

/** Starts an emulator that is closed after the current test (closing it sooner is fine). */
export function startEmulator(options: BoltEmulatorOptions = {}): Promise<BoltEmulator> {
  return startClosedWith(closedAfterTest, options)
}

/** Starts an emulator that is closed after the test file: call it in `beforeAll`. */
export function startEmulatorForFile(options: BoltEmulatorOptions = {}): Promise<BoltEmulator> {
  return startClosedWith(closedAfterFile, options)
}

/** A manager wired to `bolt` (its clock is the emulator's), recording its transitions. */
export function managerFor(
  bolt: BoltEmulator,
  http: HttpTransport,
  overrides: Partial<TokenManagerOptions> & { store?: TokenStore } = {},
): TokenManager & {
  transitions: TransitionEvent[]
  errors: ErrorEvent[]
  takeovers: LeaseTakenOverEvent[]
} {
  const tokens = createTokenManager({
    ...emulatorManagerOptions(bolt),
    http,
    store: createMemoryStore({ clock: bolt.now }),
    // Short backoffs keep retried requests quick in tests.
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...overrides,
  })
  const transitions: TransitionEvent[] = []
  const errors: ErrorEvent[] = []
  const takeovers: LeaseTakenOverEvent[] = []
  tokens.subscribe((event) => {
    if (event.type === 'transition') transitions.push(event)
    else if (event.type === 'error') errors.push(event)
    else if (event.type === 'leaseTakenOver') takeovers.push(event)
  })
  return Object.assign(tokens, { transitions, errors, takeovers })
}

/** The key a session of a manager made by {@link managerFor} is stored under (keyed by the API key). */
export function storeKey(bolt: BoltEmulator, sessionId: string): string {
  return deriveStoreKey(bolt.clientSecret, sessionId)
}

/** Logs the shopper in through the emulator's login stand-in and exchanges the code. */
export async function logIn(
  bolt: BoltEmulator,
  tokens: TokenManager,
  sessionId: string,
): Promise<void> {
  await tokens.exchangeCode(sessionId, { code: bolt.login().code })
}

/** Calls the emulator's Account API; resolves with the status. */
export function accountStatus(
  bolt: BoltEmulator,
  token: string,
  action: 'read' | 'write',
): Promise<number> {
  return accountStatusAt(bolt.url, token, action)
}

/** One hour and a minute: past any access token's life and the default skew. */
export const PAST_EXPIRY_MS = 61 * 60_000
