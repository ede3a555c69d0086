/**
 * Single flight through the store: two token managers sharing the store under test, against
 * the Bolt emulator, refresh an expired session once, and a logout during that refresh is
 * not undone by its late result. These are what the store's atomic compare-and-set and its
 * notifications are for.
 *
 * @module
 */
import { createFetchTransport } from '../../../adapters/http/fetch.js'
import type { TokenStore } from '../../contracts.js'
import {
  type BoltEmulator,
  emulatorManagerOptions,
  startBoltEmulator,
} from '../../emulator/index.js'
import { isBoltTokenError } from '../../errors.js'
import type { TransitionEvent } from '../../manager/lifecycle-events.js'
import { createTokenManager, type TokenManager } from '../../manager/token-manager.js'
import { createBoltTestHelpers } from '../emulator-helpers.js'
import { eventually, type StoreUnderTest, type Topic } from './suite.js'

/** Concurrent `getAccessToken` calls from each manager. */
const CALLERS = 25
/** How long Bolt takes to answer a refresh, so that the other manager finds it in flight. */
const SLOW_REFRESH_MS = 300
const SESSION = 'conformance-shopper'

/** A token manager, with what it committed and what failed unseen. */
interface Instance {
  tokens: TokenManager
  transitions: TransitionEvent[]
  unseenErrors: unknown[]
}

/** Two token managers on the emulator's credentials and clock, sharing one store's data. */
interface Pair {
  bolt: BoltEmulator
  first: Instance
  second: Instance
  refreshRequests(): number
}

function instance(bolt: BoltEmulator, store: TokenStore): Instance {
  const tokens = createTokenManager({
    ...emulatorManagerOptions(bolt),
    http: createFetchTransport(),
    store,
    // Short backoffs keep a retried request quick.
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  })
  const transitions: TransitionEvent[] = []
  const unseenErrors: unknown[] = []
  tokens.subscribe((event) => {
    if (event.type === 'transition') transitions.push(event)
    else if (event.type === 'error') unseenErrors.push(event.error)
  })
  return { tokens, transitions, unseenErrors }
}

/**
 * Starts an emulator, logs a shopper in through the first manager, lets the access token
 * expire and slows Bolt's next answer down; runs `body`, then stops the emulator.
 */
async function withExpiredSession(
  { store, peer = store }: StoreUnderTest,
  body: (pair: Pair) => Promise<void>,
): Promise<void> {
  const bolt = await startBoltEmulator()
  try {
    const helpers = createBoltTestHelpers(bolt)
    const first = instance(bolt, store)
    const second = instance(bolt, peer)
    await first.tokens.exchangeCode(SESSION, { code: helpers.login() })
    first.transitions.length = 0
    helpers.expireAccessTokens()
    bolt.injectFault({ type: 'delay', ms: SLOW_REFRESH_MS })
    const refreshRequests = () =>
      bolt.requests.filter((request) => request.grantType === 'refresh_token').length
    await body({ bolt, first, second, refreshRequests })
  } finally {
    await bolt.close()
  }
}

const calls = (manager: Instance) =>
  Array.from({ length: CALLERS }, () => manager.tokens.getAccessToken(SESSION))

const startedRefresh = (manager: Instance) =>
  manager.transitions.some((transition) => transition.to === 'refresh')

export const singleFlightTests: Topic = ({ test, expect }) => {
  test(`two token managers sharing the store, ${CALLERS} callers each on an expired session: one refresh, one token, view-only`, async (subject) => {
    await withExpiredSession(subject, async ({ bolt, first, second, refreshRequests }) => {
      const results = await Promise.all([...calls(first), ...calls(second)])

      expect(new Set(results).size).toBe(1)
      expect(refreshRequests()).toBe(1)
      expect(bolt.stats.refreshes).toBe(1)
      expect(bolt.stats.reuseDetected).toBe(0)
      expect([first, second].filter(startedRefresh)).toHaveLength(1)
      expect((await first.tokens.getStatus(SESSION)).state).toBe('viewOnly')
      expect((await second.tokens.getStatus(SESSION)).state).toBe('viewOnly')
      expect([...first.unseenErrors, ...second.unseenErrors]).toEqual([])
    })
  })

  test('a manager finding the other’s refresh in flight waits for it and reads its token, writing nothing', async (subject) => {
    await withExpiredSession(subject, async ({ bolt, first, second, refreshRequests }) => {
      const fromFirst = first.tokens.getAccessToken(SESSION)
      await eventually(() => startedRefresh(first))
      const results = await Promise.all([fromFirst, ...calls(second), ...calls(first)])

      expect(new Set(results).size).toBe(1)
      expect(refreshRequests()).toBe(1)
      expect(bolt.stats.reuseDetected).toBe(0)
      expect(first.transitions.at(-1)?.to).toBe('viewOnly')
      expect(second.transitions).toEqual([])
    })
  })

  test('a logout by one manager during the other’s refresh is not undone by the refresh’s late result', async (subject) => {
    await withExpiredSession(subject, async ({ bolt, first, second }) => {
      const pending = first.tokens.getAccessToken(SESSION).then(
        () => undefined,
        (error: unknown) => error,
      )
      await eventually(() => startedRefresh(first))
      await second.tokens.logout(SESSION)

      expect(isBoltTokenError(await pending, 'NOT_AUTHENTICATED')).toBe(true)
      expect(bolt.stats.refreshes).toBe(1)
      expect((await first.tokens.getStatus(SESSION)).state).toBe('unauthenticated')
      expect((await second.tokens.getStatus(SESSION)).state).toBe('unauthenticated')
    })
  })
}
