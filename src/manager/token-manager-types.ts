/**
 * The types of the token manager's public face: what its methods take and answer.
 *
 * @module
 */

import type { ShopperIdentity } from '../identity/claims.js'
import type { TokenState } from '../machine/token-machine.js'
import type { SCOPE_MANAGE, SCOPE_VIEW } from '../machine/token-set.js'
import type { HealthCheckOptions, HealthReport } from './health.js'
import type { LifecycleEvent } from './lifecycle-events.js'

/**
 * What {@link TokenManager.exchangeCode} takes: what the login modal gave your frontend.
 * @group Token manager
 */
export interface ExchangeCodeInput {
  /** The authorization code from Bolt's login modal. Single-use. */
  code: string
  /**
   * The `state` that came back with the code, if any. It is forwarded to Bolt, which checks
   * it against the state the code was issued with (Bolt's docs: "must be included if provided").
   */
  state?: string | undefined
  /**
   * The `state` your backend issued for this login, if it issues its own: `state` must then
   * be present and equal (compared in constant time), or the exchange is refused with
   * `STATE_MISMATCH` before any request is sent. Given but `undefined` or `''` (a session
   * that was issued no state), nothing matches. Without the key, `state` is only forwarded.
   */
  expectedState?: string | undefined
  /**
   * The scopes to ask for, space-separated.
   * @default 'bolt.account.manage openid'
   */
  scope?: string
}

/**
 * What {@link TokenManager.getAccessToken} may be asked for.
 * @group Token manager
 */
export interface AccessTokenOptions {
  /**
   * The capability the caller needs. `bolt.account.manage` on a view-only session
   * rejects with `SCOPE_REQUIRED` (show the login modal again). Without it, any usable
   * token is returned.
   */
  scope?: typeof SCOPE_MANAGE | typeof SCOPE_VIEW
  /**
   * An access token this session handed out that Bolt has just refused (a `401`): unless the
   * session already holds a newer one, it is refreshed now (once, however many callers report
   * the same token). A refresh makes the session view-only. The account clients
   * (`createAccountFetch`, `createAccountClient`) do this for you.
   */
  rejectedToken?: string
}

/**
 * A session as the merchant sees it.
 * @group Token manager
 */
export interface SessionStatus {
  /** The machine state, with expiry applied at the manager's clock. */
  state: TokenState
  /** Scopes of the current access token (empty without tokens). */
  scopes: string[]
  /** When the access token expires (epoch ms), or `null` without tokens. */
  expiresAt: number | null
  /** Whether a token for `bolt.account.manage` can be had now without a new login. */
  canManage: boolean
  /** Why the last token request failed (secret-free), or `null`. */
  lastError: { code: string; message: string } | null
}

/**
 * Listener of {@link TokenManager.subscribe}.
 * @group Token manager
 */
export type LifecycleListener = (event: LifecycleEvent) => void

/**
 * The token manager. Every method takes your own session id (e.g. from your session cookie).
 * @group Token manager
 */
export interface TokenManager {
  /** Bolt's API base URL this manager talks to (the Account API clients default to it). */
  readonly baseUrl: string
  /**
   * Exchanges the login modal's authorization code for tokens and stores them under
   * `sessionId` (a first login, or a step-up from view-only back to fully scoped).
   *
   * @throws {BoltTokenError} `STATE_MISMATCH`, `INVALID_GRANT`, `INVALID_CLIENT`, `INVALID_REQUEST`,
   *   `INVALID_RESPONSE`, `SERVER_ERROR`, `RATE_LIMITED`, `NETWORK_ERROR`, `TIMEOUT`, `SESSION_CHANGED`,
   *   `STORE_UNAVAILABLE`, `INVALID_ARGUMENT`. A failed step-up keeps the session it had.
   */
  exchangeCode(sessionId: string, input: ExchangeCodeInput): Promise<SessionStatus>
  /**
   * Returns an access token for the Bolt Account API, refreshing it first when it has
   * expired (a refresh makes the session view-only). Concurrent calls, in this process
   * and in others sharing the store, cause at most one refresh.
   *
   * @throws {BoltTokenError} `NOT_AUTHENTICATED` (no session: show the login modal),
   *   `SCOPE_REQUIRED` (manage asked of a view-only session: show the login modal again),
   *   `INVALID_GRANT` (the refresh was rejected: the session has ended), and the transient
   *   codes of a failed refresh (`SERVER_ERROR`, `TIMEOUT`, …; the session is kept).
   */
  getAccessToken(sessionId: string, options?: AccessTokenOptions): Promise<string>
  /** Reads the session's status. Never talks to Bolt and never writes. */
  getStatus(sessionId: string): Promise<SessionStatus>
  /**
   * The shopper's identity as Bolt's ID token states it (email, names, phone, and whether
   * Bolt verified them), after checking the token: its RS256 signature against Bolt's JWKS
   * (unless `identity.verifySignature` is `false`), its issuer, its times, and `aud` when
   * present. `null` when the session holds no ID token (logged out, or a login without
   * `openid`). Refreshes keep the login's ID token, so the identity survives them; a new
   * login replaces it.
   *
   * One store read; never talks to Bolt's token endpoint and never writes. The first call for
   * an ID token fetches Bolt's discovery document and keys (then cached); later calls for the
   * same token are answered from memory.
   *
   * @example
   * ```ts
   * const identity = await tokens.getIdentity(sessionId)
   * if (identity?.email_verified === true && identity.email !== undefined) {
   *   const customer = await customers.findByEmail(identity.email)
   *   if (customer) await customers.linkBoltShopper(customer.id, sessionId)
   * }
   * ```
   * @throws {BoltTokenError} `ID_TOKEN_INVALID` (the token fails a check: trust none of it),
   *   `NETWORK_ERROR`, `TIMEOUT`, `SERVER_ERROR`, `INVALID_RESPONSE` (Bolt's keys could not be
   *   had: retry later), `STORE_UNAVAILABLE`, `INVALID_ARGUMENT`.
   */
  getIdentity(sessionId: string): Promise<ShopperIdentity | null>
  /** Forgets the session's tokens. A refresh still in flight cannot bring them back. */
  logout(sessionId: string): Promise<void>
  /**
   * Calls `listener` after every transition this manager commits, and with every failure no
   * caller was told about (see {@link LifecycleEvent}). Returns an unsubscribe function.
   */
  subscribe(listener: LifecycleListener): () => void
  /**
   * Checks, at once, that the session store answers (one read of a fixed key that is never
   * written) and that Bolt's token endpoint is reachable (one `POST` without credentials or
   * grant: Bolt's refusal proves it answers, and nothing is spent). Each check is given up on
   * after `timeoutMs`. Never rejects for a failed check: the report says which failed and why,
   * in codes fit for a readiness endpoint's body.
   *
   * @example
   * ```ts
   * app.get('/healthz', async (req, res) => {
   *   const report = await tokens.checkHealth()
   *   res.status(report.ok ? 200 : 503).json(report)
   * })
   * ```
   * @throws {BoltTokenError} `INVALID_ARGUMENT` for a `timeoutMs` that is not a positive number.
   */
  checkHealth(options?: HealthCheckOptions): Promise<HealthReport>
}
