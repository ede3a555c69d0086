/**
 * bolt-token-lifecycle: the whole lifecycle of a Bolt shopper's OAuth tokens for merchant
 * backends, driven by one XState machine.
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
  TokenStore,
  VersionedValue,
} from './contracts.js'
export { type EncryptionOptions, RecordDecryptionError } from './crypto/encryption.js'
export {
  BoltTokenError,
  type BoltTokenErrorDetails,
  ErrorCode,
  isBoltTokenError,
} from './errors.js'
export type { ShopperIdentity } from './identity/claims.js'
export type { IdentityOptions } from './identity/options.js'
export {
  listTransitions,
  type MachineTransition,
  type ToMermaidOptions,
  toMermaid,
} from './machine/mermaid.js'
export {
  type ExchangeCodeParams,
  type Lease,
  type SessionError,
  type TokenContext,
  type TokenEvent,
  type TokenMachine,
  type TokenState,
  tokenMachine,
} from './machine/token-machine.js'
export {
  canManage,
  DEFAULT_EXCHANGE_SCOPE,
  isAccessTokenFresh,
  parseScopes,
  REFRESH_SCOPE,
  SCOPE_MANAGE,
  SCOPE_OPENID,
  SCOPE_VIEW,
  type StoredTokenSet,
  type TokenSet,
} from './machine/token-set.js'
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
  decodeSessionRecord,
  encodeSessionRecord,
  SESSION_RECORD_SCHEMA,
  type SessionRecord,
  type StoredContext,
} from './manager/session-record.js'
export {
  type AccessTokenOptions,
  createTokenManager,
  type ExchangeCodeInput,
  type LifecycleListener,
  type SessionStatus,
  type TokenManager,
} from './manager/token-manager.js'
export {
  DEFAULT_RETRY,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './oauth/retry-policy.js'
export { Secret } from './secret.js'
export type { SpanLike, TracerLike } from './telemetry/tracing.js'
