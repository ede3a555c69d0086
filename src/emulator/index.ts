/**
 * The Bolt emulator: a real HTTP server that behaves like Bolt's OAuth token
 * endpoint and Account API, for tests, demos and merchants' integration tests.
 *
 * @example
 * import { faults, startBoltEmulator } from 'bolt-token-lifecycle/emulator'
 *
 * const bolt = await startBoltEmulator()
 * const { code } = bolt.login({ state: 'xyzABC123' })
 * bolt.injectFault(faults.html(502))
 *
 * @packageDocumentation
 */
export { accountStatus, requestAccount, SAMPLE_ADDRESS } from './account-request.js'
export { startBoltEmulator } from './emulator.js'
export { faults } from './faults.js'
export {
  checkLocalRequest,
  type LocalRequestHeaders,
  type LocalRequestRefusal,
  type LocalRouteKind,
} from './local-request.js'
export { EMULATOR_DEFAULTS } from './options.js'
export { BOLT_SCOPES, type BoltScope } from './scopes.js'
export { tokenHash } from './token-hash.js'
export type {
  BoltEmulator,
  BoltEmulatorOptions,
  EmulatorFault,
  EmulatorStats,
  FaultRoute,
  InjectFaultOptions,
  LoginOptions,
  LoginResult,
  RecordedTokenRequest,
} from './types.js'
