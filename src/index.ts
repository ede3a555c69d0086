/**
 * bolt-token-lifecycle: the whole lifecycle of a Bolt shopper's OAuth tokens for merchant
 * backends, driven by one XState machine.
 *
 * This entry holds what a merchant's code calls: {@link createTokenManager} and its options,
 * the errors, their codes and their HTTP answers, the Account API clients and the shopper's
 * identity, and the store and transport contracts. Stores, transports, the emulator and the test kit have their
 * own subpaths; the machine itself, its diagram and the stored record's codec are in
 * `bolt-token-lifecycle/machine`.
 *
 * @packageDocumentation
 */
export {
  type AccountApi,
  type AccountApiOptions,
  type AccountReadOptions,
  type AccountWriteOptions,
  createAccountApi,
} from './account/account-api.js'
export type { AccountClientOptions } from './account/account-auth.js'
export { BoltAccountError, isBoltAccountError } from './account/account-error.js'
export { type AccountExistsOptions, accountExists } from './account/account-exists.js'
export {
  type AccountFetch,
  type AccountFetchOptions,
  createAccountFetch,
} from './account/account-fetch.js'
export type {
  AccountDetails,
  AccountError,
  AccountErrorEntry,
  Address,
  AddressInput,
  CardInput,
  CardNetwork,
  PaymentMethod,
  Profile,
  ProfileUpdate,
  ShopperMetadata,
} from './account/types.js'
export type {
  CompareAndSetOptions,
  HttpRequest,
  HttpResponse,
  HttpTransport,
  MaybePromise,
  TokenStore,
  VersionedValue,
} from './contracts.js'
export type { EncryptionOptions } from './crypto/encryption.js'
export {
  BoltTokenError,
  type BoltTokenErrorDetails,
  ErrorCode,
  isBoltTokenError,
} from './errors.js'
export {
  DEFAULT_RETRY_AFTER_SECONDS,
  type HttpErrorAnswer,
  type HttpErrorBody,
  httpAnswerFor,
} from './http-answers.js'
export type { ShopperIdentity } from './identity/claims.js'
export type { IdentityOptions } from './identity/options.js'
export type { TokenState } from './machine/token-machine.js'
export { SCOPE_MANAGE, SCOPE_OPENID, SCOPE_VIEW } from './machine/token-set.js'
export type {
  DowngradeEvent,
  ErrorEvent,
  LeaseContentionEvent,
  LeaseTakenOverEvent,
  LifecycleEvent,
  StepUpEvent,
  TokenRequestEvent,
  TransitionEvent,
} from './manager/lifecycle-events.js'
export { type Logger, type LogLevel, sessionTag } from './manager/logger.js'
export {
  BOLT_ACCESS_TOKEN_LIFETIME_MS,
  BOLT_PRODUCTION_URL,
  BOLT_SANDBOX_URL,
  type TokenManagerOptions,
} from './manager/options.js'
export {
  type AccessTokenOptions,
  type BoltHealth,
  createTokenManager,
  type ExchangeCodeInput,
  type HealthCheckOptions,
  type HealthReport,
  type LifecycleListener,
  type SessionStatus,
  type StoreHealth,
  type TokenManager,
} from './manager/token-manager.js'
export {
  DEFAULT_RETRY,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './oauth/retry-policy.js'
export type {
  CounterLike,
  HistogramLike,
  InstrumentOptions,
  MeterLike,
  MetricAttributes,
  ObservableLike,
  ObservableResultLike,
} from './telemetry/metrics.js'
export type { SpanLike, TracerLike } from './telemetry/tracing.js'
