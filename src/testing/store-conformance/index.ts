/**
 * The `TokenStore` contract as a published test suite: every store, the library's and
 * a merchant's own, is checked by the same tests from a file of a few lines.
 *
 * @module
 */
import { rejectPromiseArguments } from '../../promise-argument.js'
import { notificationTests } from './notifications.js'
import { readTests } from './reads.js'
import { singleFlightTests } from './single-flight.js'
import type { StoreTestApi, StoreUnderTest, Suite, TestTokenStoreOptions, Topic } from './suite.js'
import { ttlTests } from './ttl.js'
import { versionTests } from './versions.js'

export type {
  StoreAssertion,
  StoreTestApi,
  StoreUnderTest,
  TestTokenStoreOptions,
} from './suite.js'

const topics: [string, Topic][] = [
  ['versions and compare-and-set', versionTests],
  ['time to live', ttlTests],
  ['notifications', notificationTests],
  ['how get answers', readTests],
  [
    'single flight: two token managers sharing the store, against the Bolt emulator',
    singleFlightTests,
  ],
]

/**
 * Registers the `TokenStore` conformance suite for one store: versions and
 * compare-and-set (creating, fencing, concurrent writers, delete), time to live,
 * notifications, how `get` answers, and single flight (two token managers sharing the store,
 * against the Bolt emulator, refresh an expired session once, and a logout during that
 * refresh is not undone). The library's memory and Redis stores run it; run it on yours.
 *
 * The suite imports no test framework: it registers its tests with the `describe`, `it` and
 * `expect` you pass (vitest's and Jest's fit as they are). Each test gets a new store from
 * `setup` and closes it afterwards; the single-flight tests start an emulator of their own
 * (Node, Bun or Deno: it is an HTTP server).
 *
 * @param test - the test framework's `describe`, `it` and `expect`.
 * @param name - names the suite: `TokenStore conformance: <name>`.
 * @param setup - makes the store a test checks, with a sibling it must be isolated from.
 * @param options - how the store's `get` answers.
 *
 * @example A merchant checking their own store (vitest):
 * ```ts
 * import { testTokenStore } from 'bolt-token-lifecycle/testing'
 * import { describe, expect, it } from 'vitest'
 * import { createPostgresStore } from '../src/postgres-store.js'
 *
 * testTokenStore({ describe, it, expect }, 'Postgres store', async () => {
 *   const store = createPostgresStore(pool, { table: 'bolt_sessions_test' })
 *   const sibling = createPostgresStore(pool, { table: 'bolt_sessions_other' })
 *   return {
 *     store,
 *     sibling,
 *     elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
 *     close: async () => { await store.close(); await sibling.close() },
 *   }
 * }, { answers: 'promise' })
 * ```
 * @group Testing
 */
export function testTokenStore(
  test: StoreTestApi,
  name: string,
  setup: () => Promise<StoreUnderTest>,
  options: TestTokenStoreOptions = {},
): void {
  rejectPromiseArguments(
    'testTokenStore',
    { test, setup, options },
    (message) => new TypeError(message),
  )
  const { describe, it, expect } = test
  const suite: Suite = {
    expect,
    options,
    test(title, body) {
      it(title, async () => {
        const subject = await setup()
        try {
          await body(subject)
        } finally {
          await subject.close?.()
        }
      })
    },
  }
  describe(`TokenStore conformance: ${name}`, () => {
    for (const [topic, register] of topics) describe(topic, () => register(suite))
  })
}
