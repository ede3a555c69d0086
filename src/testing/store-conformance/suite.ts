/**
 * What the store conformance suite's topics share: the test functions it is given, the store
 * under test, and small helpers (a fresh key, waiting for a notification).
 *
 * @module
 */
import type { TokenStore } from '../../contracts.js'

/**
 * The assertions the store conformance suite makes: a subset of the `expect(...)` of vitest,
 * Jest and the `expect` package, so any of them can be passed as is (with `node:test`, pass a
 * small adapter over `node:assert`).
 * @group Testing
 */
export interface StoreAssertion {
  /** Same value (`Object.is`). */
  toBe(expected: unknown): void
  /** Deeply equal. */
  toEqual(expected: unknown): void
  toBeUndefined(): void
  /** `typeof actual === type`. */
  toBeTypeOf(type: 'number'): void
  toBeGreaterThan(value: number): void
  /** `actual.length === length`. */
  toHaveLength(length: number): void
  /** The negation of each assertion (the suite uses `not.toBe`). */
  readonly not: StoreAssertion
}

/**
 * The test functions {@link testTokenStore} registers its tests with. vitest's and Jest's
 * `describe`, `it` and `expect` fit as they are; the suite imports no test framework itself.
 * @group Testing
 */
export interface StoreTestApi {
  describe(name: string, body: () => void): void
  it(name: string, body: () => Promise<void>): void
  expect(actual: unknown, message?: string): StoreAssertion
}

/**
 * The store a test checks, made anew for each test by the `setup` given to
 * {@link testTokenStore}.
 * @group Testing
 */
export interface StoreUnderTest {
  /** The store to check. */
  store: TokenStore
  /**
   * A store that must not see `store`'s keys or notifications: another prefix, another table,
   * or another instance.
   */
  sibling: TokenStore
  /**
   * Optional: another handle on `store`'s data, as a second process would have (e.g. a
   * second Redis client with the same prefix). The single-flight checks give it to the
   * second token manager. @default store
   */
  peer?: TokenStore
  /** Lets `ms` pass for TTLs: a fake clock moves, or real time passes. */
  elapse(ms: number): Promise<void>
  /** Called after the test, pass or fail. */
  close?(): Promise<void>
}

/**
 * Options of {@link testTokenStore}.
 * @group Testing
 */
export interface TestTokenStoreOptions {
  /**
   * How the store's `get` answers: `'sync'` for a store that holds its data in this process
   * (the valid-token path then costs no promise hop), `'promise'` for one across the
   * network. Without it, the suite checks only that `get` answers the same way every time.
   */
  answers?: 'sync' | 'promise'
}

/** What each topic's tests are written against. */
export interface Suite {
  expect: StoreTestApi['expect']
  options: TestTokenStoreOptions
  /** Registers a test that runs `body` on a store made for it, and closes that store afterwards. */
  test(name: string, body: (subject: StoreUnderTest) => Promise<void>): void
}

/** Registers the tests of one topic. */
export type Topic = (suite: Suite) => void

/** A minute: a TTL no test outlives. */
export const MINUTE_MS = 60_000

let sequence = 0
/** A key no other test uses. */
export function freshKey(): string {
  return `session-${Date.now().toString(36)}-${++sequence}`
}

/** Resolves once `check()` holds; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > giveUp) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(5)
  }
}

/** Real time passing. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
