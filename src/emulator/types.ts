/** Options of {@link startBoltEmulator}. Every option has a default. */
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
   * (and as `X-Publishable-Key` when that header is sent).
   * @default 'pk_emulator_publishable_key'
   */
  clientId?: string
  /**
   * The merchant's API key, expected both in the `X-API-Key` header and as
   * the `client_secret` form field. It also signs the ID tokens (HS256).
   * @default 'sk_emulator_api_key'
   */
  clientSecret?: string
  /**
   * Lifetime of every access token, returned as `expires_in`.
   * @default 3600
   */
  accessTokenTtlSeconds?: number
  /**
   * Lifetime of an authorization code issued by {@link BoltEmulator.login}.
   * @default 600
   */
  codeTtlSeconds?: number
  /**
   * A spent refresh token presented again within this many ms of its
   * rotation gets the same successor response again instead of revoking its
   * session (a grace window for lost rotation responses). `0` disables it:
   * any reuse revokes the session.
   * @default 0
   */
  refreshGraceMs?: number
  /**
   * The emulator clock's start time in ms since the epoch; the clock then
   * moves with real time plus {@link BoltEmulator.advanceClock}.
   * @default Date.now() when the emulator starts
   */
  now?: number
}

/** Options of {@link BoltEmulator.login}: what the shopper did in the login modal. */
export interface LoginOptions {
  /**
   * The shopper's email; the account is created on first use.
   * @default 'shopper@example.com'
   */
  email?: string
  /** The `state` the login modal was opened with; the code exchange must then send it back. */
  state?: string
  /**
   * The scopes the shopper authorized, space-separated. A code exchange may
   * request these or fewer.
   * @default 'bolt.account.manage bolt.account.view openid'
   */
  scope?: string
}

/** What the login modal hands the storefront: a single-use authorization code. */
export interface LoginResult {
  /** The authorization code (`code_…`); single use, expires after `codeTtlSeconds`. */
  code: string
  /** The `state` given to {@link BoltEmulator.login}, when one was. */
  state?: string
}

/** The endpoints faults can be injected into. */
export type FaultRoute = 'token' | 'account'

/** Options of {@link BoltEmulator.injectFault}. */
export interface InjectFaultOptions {
  /**
   * How many consecutive requests of the route get this fault.
   * @default 1
   */
  times?: number
  /**
   * `'token'` is `POST /v1/oauth/token`; `'account'` is everything under `/v1/account`.
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

/** Live counters of what the emulator has seen and done. */
export interface EmulatorStats {
  /** Every request to `/v1/oauth/token`, whatever its outcome (faulted ones too). */
  tokenRequests: number
  /** Successful `authorization_code` grants. */
  codeExchanges: number
  /** Successful `refresh_token` grants that rotated (grace re-issues are not counted here). */
  refreshes: number
  /** Spent refresh tokens answered again within `refreshGraceMs`. */
  graceReissues: number
  /** Spent refresh tokens presented after the grace window: their session was revoked. */
  reuseDetected: number
  /** Every `invalid_grant` answer. */
  invalidGrants: number
  /** Every `invalid_client` answer. */
  invalidClients: number
  /** Successful `GET /v1/account`. */
  accountReads: number
  /** Successful Account API writes (`POST /v1/account/addresses`). */
  accountWrites: number
}

/** One request to the token endpoint, as the emulator saw it. */
export interface RecordedTokenRequest {
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
 * A running Bolt emulator: a real HTTP server with Bolt's token endpoint
 * (`POST /v1/oauth/token`), a small Account API (`/v1/account`) and, for
 * local testing only, a control API under `/__emulator/`.
 */
export interface BoltEmulator {
  /** The base URL to give clients, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  readonly url: string
  /** The port the server listens on. */
  readonly port: number
  /** The publishable key the emulator expects as `client_id`. */
  readonly clientId: string
  /** The API key the emulator expects in `X-API-Key` and as `client_secret`. */
  readonly clientSecret: string
  /** The emulator clock in ms since the epoch. */
  now(): number
  /**
   * Moves the emulator clock by `ms` (negative moves it back), e.g. past
   * `expires_in` to expire access tokens.
   */
  advanceClock(ms: number): void
  /**
   * Stands in for the login modal: the shopper logs in (the account is
   * created if new) and the storefront receives a single-use authorization code.
   *
   * @example
   * const { code } = emulator.login({ state: 'xyzABC123' })
   */
  login(options?: LoginOptions): LoginResult
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
