/**
 * The token manager's options as a merchant writes them: each documented with its default,
 * and Bolt's constants they refer to. `options.ts` applies the defaults and validates.
 *
 * @module
 */
import type { HttpTransport, TokenStore } from '../contracts.js'
import type { EncryptionOptions } from '../crypto/encryption.js'
import type { IdentityOptions } from '../identity/options.js'
import type { RetryOptions } from '../oauth/retry-policy.js'
import type { MeterLike } from '../telemetry/metrics.js'
import type { TracerLike } from '../telemetry/tracing.js'
import type { Logger } from './logger.js'

/**
 * How much longer than `timeoutMs` a lease must be at least: room for the store round trips
 * around a request to Bolt (taking the lease before it, saving the answer after it).
 */
export const LEASE_MARGIN_MS = 1_000

/**
 * Bolt's production API.
 * @group Token manager
 */
export const BOLT_PRODUCTION_URL = 'https://api.bolt.com'
/**
 * Bolt's sandbox API.
 * @group Token manager
 */
export const BOLT_SANDBOX_URL = 'https://api-sandbox.bolt.com'

/**
 * The lifetime Bolt gives access tokens, in milliseconds (one hour).
 * @group Token manager
 */
export const BOLT_ACCESS_TOKEN_LIFETIME_MS = 3_600_000

/**
 * Options of {@link createTokenManager}.
 * @group Token manager
 */
export interface TokenManagerOptions {
  /** Your Bolt publishable key (OAuth `client_id`). */
  clientId: string
  /** Your Bolt API key (OAuth `client_secret` and the `X-API-Key` header). Never logged. */
  clientSecret: string
  /**
   * Bolt's API base URL; use {@link BOLT_SANDBOX_URL} for the sandbox, or an emulator's `url`.
   * @default 'https://api.bolt.com'
   */
  baseUrl?: string
  /**
   * The token endpoint's path under `baseUrl`. Bolt's token endpoint guide and v1 API use
   * `/v1/oauth/token`; Bolt's OpenID discovery document (its v3 API) names `/v3/oauth/token`.
   * @default '/v1/oauth/token'
   */
  tokenPath?: string
  /**
   * Where session records live. Share one store between instances (Redis) so that they
   * refresh each session exactly once.
   * @default createMemoryStore()
   */
  store?: TokenStore
  /**
   * How token requests reach Bolt.
   * @default createFetchTransport()
   */
  http?: HttpTransport
  /**
   * The clock, in epoch milliseconds. Inject one to test expiry without waiting.
   * @default Date.now
   */
  clock?: () => number
  /**
   * A token with less than this left counts as expired, so it does not expire on its way
   * to Bolt. Must be below the one-hour token lifetime.
   * @default 60_000
   */
  refreshSkewMs?: number
  /**
   * One token request's deadline (connect, answer, body), in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number
  /**
   * How long an instance may hold a session's refresh (or code exchange) before others
   * consider it dead and take over. At least `timeoutMs + 1000`: a holder sends to Bolt only
   * if one whole attempt (`timeoutMs`) and the store write after it still fit in its lease,
   * measured after it took the lease. `getAccessToken` ends within 2 × `leaseMs`: one lease
   * to wait out another holder, one to hold its own.
   * @default timeoutMs + 5_000
   */
  leaseMs?: number
  /**
   * How long an untouched session is kept in the store, in milliseconds. Every write
   * renews it.
   * @default 30 days
   */
  sessionTtlMs?: number
  /**
   * While another instance refreshes, how often to re-read the session if no change
   * notification arrives (the store's notifications are the fast path), in milliseconds.
   * @default 500
   */
  pollIntervalMs?: number
  /**
   * How many refreshes this instance sends to Bolt at once; the others wait in line (first
   * come, first served) before they take the session's lease. A `429` or `503` with
   * `Retry-After` pauses the line for the time asked. A caller whose deadline comes while it
   * waits gets `RATE_LIMITED` with `retryAfterMs`; nothing was sent and the session stays
   * refreshable. Logins are not queued.
   * @default 16
   */
  maxRefreshesInFlight?: number
  /**
   * How failed token requests are retried (connection refused, 429, 5xx on refresh; never
   * a code exchange that may have reached Bolt): see `src/oauth/retry-policy.ts`. `false`
   * turns retries off.
   * @default { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 }
   */
  retry?: RetryOptions | false
  /**
   * Encrypts session records at rest with AES-256-GCM (WebCrypto): `{ keys: { [id]: key },
   * current: id }`, keys of 32 bytes in base64. The current key encrypts; every listed key
   * decrypts, so keys rotate without downtime. See docs/security.md.
   */
  encryption?: EncryptionOptions
  /**
   * The secret that turns session ids into store keys (an HMAC-SHA-256 of the id), so that no
   * key, channel or table row names a session id (often the shopper's session cookie). Give
   * every instance the same value: a random string of at least 32 characters, or at least 16
   * bytes (`openssl rand -base64 32`).
   *
   * Changing it makes every stored session read as absent (shoppers log in again). Set it
   * before you ever rotate your API key, which is the default: a new API key would
   * otherwise log every shopper out.
   * @default clientSecret
   */
  storeKeySecret?: string | Uint8Array
  /**
   * Receives the library's log lines (pino-compatible: `warn(fields, message)`; `console`
   * works). Lines carry codes, states and a session tag, never a token, code or key.
   */
  logger?: Logger
  /**
   * Where OpenTelemetry spans of token requests (`bolt.oauth.token`) go: a tracer
   * (`trace.getTracer('my-app')` fits), or `false` for none. By default, the global tracer of
   * `@opentelemetry/api` when that package is installed; nothing otherwise. Spans carry the
   * grant, the outcome, the HTTP status and the attempts, never a token, a code or a key.
   */
  tracer?: TracerLike | false
  /**
   * Where OpenTelemetry metrics go (token requests and their duration, lease waits and
   * takeovers, store errors, `SCOPE_REQUIRED`, the refresh line's length; see
   * docs/operations.md): a meter (`metrics.getMeter('my-app')` fits), or `false` for none. By
   * default, the global meter of `@opentelemetry/api` when that package is installed; nothing
   * otherwise. Attributes carry grants, codes and states, never a session id or a token.
   */
  meter?: MeterLike | false
  /**
   * How `getIdentity` checks the shopper's ID token: `verifySignature` (against Bolt's JWKS,
   * found through `{baseUrl}/.well-known/openid-configuration`), `leewayMs` (clock difference
   * allowed on `iat`, `nbf`, `exp`) and `timeoutMs` (one discovery or JWKS request).
   * @default { verifySignature: true, leewayMs: 60_000, timeoutMs: 5_000 }
   */
  identity?: IdentityOptions
}
