/**
 * The Bolt emulator: a real HTTP server that behaves like Bolt's OAuth token endpoint,
 * OpenID discovery document and JWKS, and Account API, for tests, demos and merchants'
 * integration tests. `docs/bolt-api.md` lists, for every behaviour, the Bolt source it follows.
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
export { ACCOUNT_ERROR_CODES } from './account-errors.js'
export { sha256Email } from './account-exists.js'
export {
  type AccountRequestTarget,
  accountStatus,
  requestAccount,
  SAMPLE_ADDRESS,
} from './account-request.js'
export {
  DISCOVERY_PATH,
  type DiscoveryDocument,
  discoveryDocument,
  JWKS_PATH,
} from './discovery.js'
export { startBoltEmulator } from './emulator.js'
export { faults } from './faults.js'
export type { IdTokenClaims } from './id-token.js'
export {
  checkLocalRequest,
  type LocalRequestHeaders,
  type LocalRequestRefusal,
  type LocalRouteKind,
} from './local-request.js'
export {
  type EmulatorConnection,
  type EmulatorManagerOptions,
  emulatorManagerOptions,
} from './manager-options.js'
export { EMULATOR_DEFAULTS } from './options.js'
export type { EmulatorRateLimit } from './rate-limit.js'
export { BOLT_SCOPES, type BoltScope } from './scopes.js'
export { TOKEN_PATHS } from './token-endpoint.js'
export { tokenHash } from './token-hash.js'
export type {
  AccountAddressView,
  AccountDetailsView,
  AccountErrorBody,
  AccountExistsView,
  AccountPaymentMethodView,
  AccountProfileView,
  BoltEmulator,
  BoltEmulatorOptions,
  EmulatorFault,
  EmulatorJwk,
  EmulatorStats,
  FaultRoute,
  InjectFaultOptions,
  LoginOptions,
  LoginResult,
  RecordedTokenRequest,
  ShopperAccount,
  ShopperMetadata,
  ShopperProfile,
} from './types.js'
