/**
 * bolt-token-lifecycle/testing: test your integration against the token lifecycle.
 *
 * - {@link createLifecycleTestModel} and {@link lifecyclePaths}: paths generated from the
 *   token machine that together take every transition.
 * - {@link createManagerDriver}: runs those paths against a token manager and the Bolt
 *   emulator, checking in every state what a merchant can observe.
 * - {@link createBoltTestHelpers}: log in, let an hour pass, fail the next token request.
 * - {@link createGatedTransport}: holds token requests so in-flight states can be seen.
 * - {@link lifecycleTransitions} and {@link transitionTaken}: what to cover, and what a step covered.
 * - {@link emulatorManagerOptions}: the options that point a token manager at an emulator.
 * - {@link followEmulatorClock}: a token manager's clock for an emulator in another process.
 * - {@link deriveStoreKey}: the key a session's record is stored under, to look at it in a test.
 * - {@link testTokenStore}: the `TokenStore` conformance suite, to check a store of your own.
 * - {@link storeOnClock}: a store whose leases follow the emulator's clock, for tests that jump it.
 *
 * @packageDocumentation
 */
export {
  type BoltEmulator,
  type BoltEmulatorOptions,
  type EmulatorConnection,
  type EmulatorManagerOptions,
  emulatorManagerOptions,
  faults,
  startBoltEmulator,
} from '../emulator/index.js'
export type { TokenSnapshot } from '../manager/session-record.js'
export { deriveStoreKey } from '../manager/store-keys.js'
export {
  type EmulatorClock,
  type FollowEmulatorClockOptions,
  followEmulatorClock,
} from './emulator-clock.js'
export {
  type BoltTestHelpers,
  createBoltTestHelpers,
  type TokenFailure,
} from './emulator-helpers.js'
export { createGatedTransport, type GatedTransport, type HeldRequest } from './gated-transport.js'
export {
  createLifecycleTestModel,
  describeLifecycleEvent,
  isSingleCallerPath,
  type LifecyclePath,
  type LifecycleTestModel,
  type LifecycleTransition,
  lifecycleEvents,
  lifecyclePaths,
  lifecycleStates,
  lifecycleTransitions,
  serializeLifecycleState,
  transitionTaken,
} from './lifecycle-model.js'
export {
  createManagerDriver,
  type EventExecutors,
  type ManagerDriver,
  type ManagerDriverOptions,
  type StateChecks,
} from './manager-driver.js'
export {
  type StoreAssertion,
  type StoreTestApi,
  type StoreUnderTest,
  type TestTokenStoreOptions,
  testTokenStore,
} from './store-conformance/index.js'
export { storeOnClock } from './store-on-clock.js'
