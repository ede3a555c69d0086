import type { Address } from '../account/types.js'
import type { EmulatorRateLimit } from './rate-limit.js'

/**
 * Options of {@link startBoltEmulator}. Every option has a default; the defaults are Bolt's.
 * @group Emulator
 */
export interface BoltEmulatorOptions {
  /**
   * The TCP port to listen on; `0` picks a free port (read it back from
   * {@link BoltEmulator.port} or {@link BoltEmulator.url}).
   * @default 0
   */
  port?: number
  /**
   * The interface to listen on. Keep it on loopback: the control API under
   * `/__emulator/` lets anyone who can reach it mint codes and move the clock.
   * Whatever the interface, requests must name a loopback `Host` (`localhost`,
   * 127.0.0.0/8, `[::1]`); others are answered `421` (against DNS rebinding).
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * The merchant's publishable key, expected as the `client_id` form field
   * (and as `X-Publishable-Key` when that header is sent; required by `GET /v1/account/exists`).
   * @default 'pk_emulator_publishable_key'
   */
  clientId?: string
  /**
   * The merchant's API key, expected both in the `X-API-Key` header and as
   * the `client_secret` form field, and in `X-API-Key` on every Account API session route.
   * @default 'sk_emulator_api_key'
   */
  clientSecret?: string
  /**
   * Lifetime of every access token, returned as `expires_in`. Bolt: 1 hour.
   * @default 3600
   */
  accessTokenTtlSeconds?: number
  /**
   * Lifetime of an authorization code issued by {@link BoltEmulator.login}. Bolt: 5 minutes.
   * @default 300
   */
  codeTtlSeconds?: number
  /**
   * Lifetime of a refresh token, from its issue (each rotation issues a new one). Bolt: 1 year.
   * @default 31536000
   */
  refreshTokenTtlSeconds?: number
  /**
   * A spent refresh token presented again within this many ms of its
   * rotation gets the same successor response again instead of being refused
   * (a grace window for lost rotation responses; not Bolt's documented behaviour).
   * `0` disables it.
   * @default 0
   */
  refreshGraceMs?: number
  /**
   * Whether a spent refresh token presented again (after any grace window), or an
   * authorization code exchanged twice, revokes every token of its session (RFC 6749 §4.1.2,
   * OAuth 2.0 Security BCP §4.14). Bolt documents single use but not what reuse does:
   * with `false`, reuse is refused (`422 invalid_grant`) and nothing else changes.
   * @default true
   */
  reuseRevokesFamily?: boolean
  /**
   * A rate limit on the token endpoint: `{ perSecond, inFlight }`, answered `429` with
   * `Retry-After` (whole seconds) past either. Our choice, to play an expiry herd: Bolt
   * publishes no limits. `false` for none.
   * @default false
   */
  rateLimit?: EmulatorRateLimit | false
  /**
   * The `iss` claim of ID tokens. Bolt's example token says `http://api.bolt.com` while its
   * discovery document says `https://api.bolt.com`; set this to play that mismatch.
   * @default the emulator's base URL (the discovery document's `issuer`)
   */
  idTokenIssuer?: string
  /**
   * Whether ID token headers carry the signing key's `kid`. Bolt's example header has none
   * (`{"alg":"RS256","typ":"JWT"}`); the JWKS always gives the key a `kid`.
   * @default false
   */
  idTokenKid?: boolean
  /**
   * The emulator clock's start time in ms since the epoch; the clock then
   * moves with real time plus {@link BoltEmulator.advanceClock}.
   * @default Date.now() when the emulator starts
   */
  now?: number
}

/**
 * A shopper's identity in the emulator, as the ID token and `GET /v1/account` give it.
 * {@link BoltEmulator.login} creates the account on first use and applies the fields given.
 * @group Emulator
 */
export interface ShopperProfile {
  /**
   * The shopper's email, the account's unique key (compared case-insensitively).
   * @default 'shopper@example.com'
   */
  email?: string
  /** @default true */
  emailVerified?: boolean
  /** @default 'Alan' */
  firstName?: string
  /** @default 'Watts' */
  lastName?: string
  /** E.164, e.g. `'+14155550199'`. @default '+14155550199' */
  phone?: string
  /** @default true */
  phoneVerified?: boolean
}

/**
 * Options of {@link BoltEmulator.login}: what the shopper did in the login modal.
 * @group Emulator
 */
export interface LoginOptions extends ShopperProfile {
  /** The `state` the login modal was opened with; the code exchange must then send it back. */
  state?: string
  /**
   * The scopes the shopper authorized, space-separated. A code exchange may
   * request these or fewer.
   * @default 'bolt.account.manage bolt.account.view openid'
   */
  scope?: string
}

/**
 * A shopper account as the emulator holds it (a snapshot), from {@link BoltEmulator.shopper}.
 * @group Emulator
 */
export interface ShopperAccount {
  /** `acct_…`: the emulator's own id (Bolt's ID token carries no `sub`). */
  id: string
  email: string
  emailVerified: boolean
  firstName: string
  lastName: string
  phone: string
  phoneVerified: boolean
  /** The saved addresses, as `GET /v1/account` reads them back. */
  addresses: AccountAddressView[]
  /** The saved payment methods, as `GET /v1/account` reads them back. */
  paymentMethods: AccountPaymentMethodView[]
}

/**
 * Shopper metadata: string keys to string values (Bolt's `shopper_metadata`).
 * @group Emulator
 */
export type ShopperMetadata = Record<string, string>

/**
 * `profile` in `GET /v1/account` and the answer of `PATCH /v1/account/profile` (Bolt's `profile_view`).
 * @group Emulator
 */
export interface AccountProfileView {
  first_name: string
  last_name: string
  name: string
  email: string
  phone: string
  metadata?: ShopperMetadata
}

/**
 * An address as Bolt reads it back (`address_view` plus `default` and `metadata`): the
 * sent `email` and `phone` come back as `email_address` and `phone_number`, plus `id`.
 * @group Emulator
 */
export interface AccountAddressView extends Omit<Address, 'priority' | 'default'> {
  default: boolean
}

/**
 * A saved card as Bolt reads it back (`saved_credit_card_view`).
 * @group Emulator
 */
export interface AccountPaymentMethodView {
  id: string
  type: 'card'
  last4: string
  exp_month: number
  exp_year: number
  network: string
  billing_address: Omit<AccountAddressView, 'default' | 'metadata'>
  default: boolean
  metadata?: ShopperMetadata
}

/**
 * The answer of `GET /v1/account` (Bolt's `account_details`).
 * @group Emulator
 */
export interface AccountDetailsView {
  profile: AccountProfileView
  addresses: AccountAddressView[]
  payment_methods: AccountPaymentMethodView[]
  has_bolt_account: boolean
}

/**
 * The answer of `GET /v1/account/exists` (Bolt's `v1_accounts_view`).
 * @group Emulator
 */
export interface AccountExistsView {
  has_bolt_account: boolean
}

/**
 * Every Account API error answer (Bolt's `errors_bolt_api_response`).
 * @group Emulator
 */
export interface AccountErrorBody {
  result: { success: false }
  errors: { code: number; message: string }[]
}

/**
 * What the login modal hands the storefront: a single-use authorization code.
 * @group Emulator
 */
export interface LoginResult {
  /** The authorization code (`code_…`); single use, expires after `codeTtlSeconds`. */
  code: string
  /** The `state` given to {@link BoltEmulator.login}, when one was. */
  state?: string
}

/**
 * The endpoints faults can be injected into: `'token'` (`POST /v1/oauth/token` and
 * `/v3/oauth/token`), `'account'` (everything under `/v1/account`), `'discovery'`
 * (`GET /.well-known/openid-configuration`), `'jwks'` (`GET /v3/oauth/jwks.json`).
 * @group Emulator
 */
export type FaultRoute = 'token' | 'account' | 'discovery' | 'jwks'

/**
 * Options of {@link BoltEmulator.injectFault}.
 * @group Emulator
 */
export interface InjectFaultOptions {
  /**
   * How many consecutive requests of the route get this fault.
   * @default 1
   */
  times?: number
  /**
   * The route whose requests get the fault (see {@link FaultRoute}).
   * @default 'token'
   */
  route?: FaultRoute
}

/**
 * A misbehaviour to apply to a request instead of (or around) normal processing.
 *
 * - `respond`: answer with this status, body and headers; nothing is processed,
 *   so no code is used and no token rotates. `Content-Type` defaults to
 *   `application/json` unless `headers` sets it.
 * - `delay`: wait `ms` of real time, then process normally. The request is
 *   processed even if the client gave up meanwhile (a timeout after sending
 *   can still rotate tokens, as on a real server).
 * - `drop`: destroy the connection without answering. `'before'` processes
 *   nothing; `'after'` performs the grant first (codes are used, refresh
 *   tokens rotate) and then drops: the response is lost.
 * - `stall`: send the status line, the headers and the first part of a body,
 *   then never finish the response (no `Content-Length`: the body is chunked
 *   and its last chunk never comes). Nothing is processed. Only the client's
 *   deadline ends it (or {@link BoltEmulator.close}); the request log records
 *   status `0`, as for any request that got no complete answer.
 * - `transform`: process the request normally (codes are used, refresh tokens
 *   rotate), then rewrite the answer's JSON object body: delete the `omit`
 *   fields, then set the `set` fields. A body that is not a JSON object is
 *   sent unchanged. For answers that are slightly wrong while the tokens in
 *   them are real (a narrower `scope`, a string `expires_in`, …).
 * @group Emulator
 */
export type EmulatorFault =
  | { type: 'respond'; status: number; body: string; headers?: Record<string, string> }
  | { type: 'delay'; ms: number }
  | { type: 'drop'; when: 'before' | 'after' }
  | {
      type: 'stall'
      /**
       * The status line sent.
       * @default 200
       */
      status?: number
      /** Headers sent; `Content-Type` defaults to `application/json`. */
      headers?: Record<string, string>
      /**
       * The part of the body sent before the stall.
       * @default '{"access_token":"'
       */
      body?: string
    }
  | {
      type: 'transform'
      /** Fields set on the answer's JSON object (JSON values), after `omit` is applied. */
      set?: Record<string, unknown>
      /** Fields deleted from the answer's JSON object. */
      omit?: string[]
    }

/**
 * Live counters of what the emulator has seen and done.
 * @group Emulator
 */
export interface EmulatorStats {
  /** Every request to the token endpoint (`/v1` or `/v3`), whatever its outcome (faulted ones too). */
  tokenRequests: number
  /** Successful `authorization_code` grants. */
  codeExchanges: number
  /** Successful `refresh_token` grants that rotated (grace re-issues are not counted here). */
  refreshes: number
  /** Spent refresh tokens answered again within `refreshGraceMs`. */
  graceReissues: number
  /** Spent refresh tokens presented again after the grace window. */
  reuseDetected: number
  /** Every `422 invalid_grant` answer. */
  invalidGrants: number
  /** Every answer to bad client credentials (`403 request_forbidden`). */
  invalidClients: number
  /** ID tokens signed. */
  idTokensIssued: number
  /** Successful `GET /v1/account`. */
  accountReads: number
  /** Successful Account API writes (profile, addresses, payment methods), idempotent replays excluded. */
  accountWrites: number
  /** Writes answered from the `Idempotency-Key` record instead of being performed again. */
  idempotentReplays: number
  /** Requests to `GET /v3/oauth/jwks.json`, faulted ones too. */
  jwksRequests: number
  /** Token requests answered `429` by the `rateLimit` option (counted in `tokenRequests` too). */
  rateLimited: number
}

/**
 * One request to the token endpoint, as the emulator saw it.
 * @group Emulator
 */
export interface RecordedTokenRequest {
  /** The path the request was sent to: `/v1/oauth/token` or `/v3/oauth/token`. */
  path: string
  /** The `grant_type` form field (`''` when missing). */
  grantType: string
  /** The `scope` form field as decoded, when present. */
  scope: string | undefined
  /** Whether the form carried a `state` field. */
  hasState: boolean
  /**
   * The hash of the refresh token presented (`tokenHash`: `sha256:` and 16 hex digits),
   * for a request that carried one. Never the token: the log is readable over HTTP.
   */
  refreshTokenHash?: string
  /** The status answered, or `0` when the connection closed without an answer. */
  status: number
  /** When the request arrived, by the emulator clock (ms). */
  at: number
}

/**
 * The public half of the emulator's ID-token signing key, as its JWKS lists it.
 * @group Emulator
 */
export interface EmulatorJwk {
  kty: 'RSA'
  n: string
  e: string
  kid: string
  alg: 'RS256'
  use: 'sig'
}

/**
 * A running Bolt emulator: a real HTTP server with Bolt's token endpoint
 * (`POST /v1/oauth/token` and `/v3/oauth/token`), its OpenID discovery document and JWKS,
 * the Account API (`/v1/account…`) and, for local testing only, a control API under `/__emulator/`.
 * @group Emulator
 */
export interface BoltEmulator {
  /** The base URL to give clients, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  readonly url: string
  /** The port the server listens on. */
  readonly port: number
  /** The publishable key the emulator expects as `client_id` (and in `X-Publishable-Key`). */
  readonly clientId: string
  /** The API key the emulator expects in `X-API-Key` and as `client_secret`. */
  readonly clientSecret: string
  /** The `issuer` of the discovery document: {@link BoltEmulator.url}. */
  readonly issuer: string
  /** The `iss` claim of the ID tokens ({@link BoltEmulatorOptions.idTokenIssuer}). */
  readonly idTokenIssuer: string
  /** The emulator clock in ms since the epoch. */
  now(): number
  /**
   * Moves the emulator clock by `ms` (negative moves it back), e.g. past
   * `expires_in` to expire access tokens.
   */
  advanceClock(ms: number): void
  /**
   * Replaces the token endpoint's rate limit (the `rateLimit` option) from now on; `false`
   * lifts it. Requests being answered are not counted against the new limit.
   */
  setRateLimit(limit: EmulatorRateLimit | false): void
  /**
   * Stands in for the login modal: the shopper logs in (the account is
   * created if new, and the profile fields given are applied) and the storefront
   * receives a single-use authorization code.
   *
   * @example
   * const { code } = emulator.login({ state: 'xyzABC123', firstName: 'Ada' })
   */
  login(options?: LoginOptions): LoginResult
  /**
   * A snapshot of the shopper account with this email (default `shopper@example.com`),
   * or `undefined` when no login created it.
   */
  shopper(email?: string): ShopperAccount | undefined
  /**
   * The JWKS the emulator serves at `jwks_uri`: `{ keys: [the current public key] }`.
   *
   * @example
   * const verify = createLocalJWKSet(bolt.jwks())
   */
  jwks(): { keys: EmulatorJwk[] }
  /**
   * Replaces the ID-token signing key with a fresh RSA key (new `kid`). Tokens signed
   * before no longer verify against the served JWKS. Resolves with the new public key.
   * (Emulators of one process start with the same key, generated once: an RSA key takes
   * about 200 ms, and test suites start hundreds of emulators. After this call, this
   * emulator's key is its own.)
   */
  rotateSigningKey(): Promise<EmulatorJwk>
  /**
   * Makes `GET /v3/oauth/jwks.json` answer `503` (`true`) until set back to `false`, for
   * "JWKS unreachable" tests. For one-off failures use `injectFault(…, { route: 'jwks' })`.
   */
  setJwksAvailable(available: boolean): void
  /**
   * Queues a fault for the next requests of a route, in FIFO order after
   * those already queued.
   *
   * @example
   * emulator.injectFault(faults.rateLimited('2'))
   * emulator.injectFault({ type: 'drop', when: 'after' })
   */
  injectFault(fault: EmulatorFault, options?: InjectFaultOptions): void
  /** Forgets every queued fault. */
  clearFaults(): void
  /** A snapshot of the counters. */
  readonly stats: EmulatorStats
  /**
   * A snapshot of every token-endpoint request seen since start (or {@link BoltEmulator.resetStats}),
   * in order. Presented refresh tokens appear as hashes ({@link RecordedTokenRequest.refreshTokenHash}).
   */
  readonly requests: readonly RecordedTokenRequest[]
  /**
   * Revokes every token of the session the given access or refresh token
   * belongs to, as if the shopper signed out at Bolt.
   *
   * @throws {Error} when the emulator never issued that token.
   */
  revokeSession(refreshOrAccessToken: string): void
  /** Sets every counter to zero and forgets the recorded requests. */
  resetStats(): void
  /** Stops the server and closes every connection, keep-alive ones too. Idempotent. */
  close(): Promise<void>
}
