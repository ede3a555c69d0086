/**
 * The token lifecycle as one pure XState v5 machine: the single source of truth for what
 * a shopper session is and may do.
 *
 * It does no I/O and reads no clock. Time arrives inside events (`now`); side effects
 * leave as the named actions `exchangeCode` and `refreshTokens`, which the interpreter
 * (src/manager/actions.ts dispatches them) executes after it has persisted the new state. That is
 * why it has no `invoke` and no `after`: a restored snapshot must never replay a
 * single-use code or a rotated refresh token.
 *
 * @module
 */
import { and, assign, setup } from 'xstate'
import type { ErrorCode } from '../errors.js'
import type { Secret } from '../secret.js'
import { canManage, isAccessTokenFresh, type TokenSet } from './token-set.js'

/**
 * Who holds the right to talk to Bolt for a session, and until when (epoch ms).
 * @group Machine
 */
export interface Lease {
  /** Identifies one token manager instance. */
  owner: string
  /** The lease is dead after this moment; another instance may take over. */
  until: number
}

/**
 * The last failure of a session, kept in its record (secret-free).
 * @group Machine
 */
export interface SessionError {
  /** The error's code (the root entry exports the codes). */
  code: ErrorCode
  message: string
  /** Epoch ms. */
  at: number
  /** HTTP status of Bolt's answer, when there was one. */
  status?: number
  /** The OAuth error string of Bolt's answer, when there was one. */
  oauthError?: string
  /** Bolt's `Retry-After`, in milliseconds, for `RATE_LIMITED`. */
  retryAfterMs?: number
}

/**
 * What the machine remembers about one shopper session.
 * @group Machine
 */
export interface TokenContext {
  tokens: TokenSet | null
  /** Held while `codeExchange` or `refresh` talks to Bolt. */
  lease: Lease | null
  /**
   * In `codeExchange` only: the lease of a refresh that was in flight when the login began.
   * That refresh is still presenting the kept refresh token, so a failed login resumes it
   * (back to `refresh`, under its lease) instead of offering that token to anyone else.
   */
  interruptedRefresh: Lease | null
  lastError: SessionError | null
}

/**
 * The six states, named after the design card.
 * @group Token manager
 * @group Machine
 */
export type TokenState =
  | 'unauthenticated'
  | 'codeExchange'
  | 'fullyScoped'
  | 'expired'
  | 'refresh'
  | 'viewOnly'

/**
 * Every event the machine understands. Each carries the time it happened at.
 * @group Machine
 */
export type TokenEvent =
  /** The login modal produced a code: a first login, or a step-up from view-only. */
  | {
      type: 'CODE_RECEIVED'
      now: number
      lease: Lease
      code: Secret
      scope: string
      state?: string
    }
  | { type: 'EXCHANGE_SUCCEEDED'; now: number; tokens: TokenSet }
  | { type: 'EXCHANGE_FAILED'; now: number; error: SessionError }
  /** The clock moved; `skewMs` is how early a token counts as expired. */
  | { type: 'TIME_ADVANCED'; now: number; skewMs: number }
  | { type: 'REFRESH_STARTED'; now: number; lease: Lease }
  /**
   * A refresh came back with `tokens`. `spent` is the refresh token it presented: outside
   * `refresh` (the lock was lost: a login started, or another instance's attempt ended the
   * lock) the new tokens are kept only if the session still holds that spent token.
   */
  | { type: 'REFRESH_SUCCEEDED'; now: number; tokens: TokenSet; spent?: Secret }
  /**
   * A refresh failed. With `spent`, it is reported late (its lock was lost): only a refusal
   * of the refresh token the session still holds (`invalid_grant`) changes anything then.
   */
  | { type: 'REFRESH_FAILED'; now: number; error: SessionError; spent?: Secret }
  /**
   * The lease holder did not finish in time (it probably crashed); another instance takes
   * over. The lease has ended by the taker's clock (`now`), or, with `outlived`, the taker
   * watched that very lease unchanged for a whole lease length of its own monotonic time:
   * whatever the holder's clock says, the holder's request deadline (shorter than a lease)
   * has passed.
   */
  | { type: 'LEASE_TAKEN_OVER'; now: number; lease: Lease; outlived?: true }
  | { type: 'LOGOUT'; now: number }

/**
 * Parameters of the `exchangeCode` action.
 * @group Machine
 */
export interface ExchangeCodeParams {
  code: Secret
  scope: string
  state?: string
}

/**
 * A refresh whose lock was lost still rotated the refresh token the session holds: its
 * tokens are the newest, and keeping them is the only way not to present a spent token.
 */
const adoptLateRotation = {
  guard: 'holdsSpentRefreshToken',
  target: 'viewOnly',
  actions: ['storeTokens'],
} as const

/**
 * A refresh whose lock was lost was refused with `invalid_grant`: if the session still holds
 * the refresh token it presented, that token is dead, and presenting it again would only
 * be refused again (or, at Bolt, count as a reuse). The session ends.
 */
const endOnLateRejection = {
  guard: 'holdsRejectedRefreshToken',
  target: 'unauthenticated',
  actions: ['forgetTokens', 'recordError', 'releaseLease'],
} as const

/** The actions that start a code exchange under a new lease. */
const startExchange = [
  'takeLease',
  {
    type: 'exchangeCode',
    params: ({ event }: { event: Extract<TokenEvent, { type: 'CODE_RECEIVED' }> }) => ({
      code: event.code,
      scope: event.scope,
      ...(event.state === undefined ? {} : { state: event.state }),
    }),
  },
] as const

/** The actions that start (or restart) a refresh of the kept refresh token under a new lease. */
const startRefresh = [
  'takeLease',
  {
    type: 'refreshTokens',
    params: ({ context }: { context: TokenContext }) => ({
      refreshToken: context.tokens?.refreshToken ?? null,
    }),
  },
] as const

/**
 * The token lifecycle machine.
 *
 * - `unauthenticated` — no usable tokens (initial; also after logout or a rejected refresh).
 * - `codeExchange` — a login-modal code is being exchanged (lease held).
 * - `fullyScoped` — the access token may manage the account (`bolt.account.manage`).
 * - `expired` — the access token is (about to be) expired; a refresh token is kept.
 * - `refresh` — a refresh is in flight (lease held: this state is the distributed lock).
 * - `viewOnly` — refreshed: the access token may only read the account, until the next login.
 * @group Machine
 */
export const tokenMachine = setup({
  types: {
    context: {} as TokenContext,
    events: {} as TokenEvent,
  },
  actions: {
    // Executed by the interpreter, after the state that requested them is persisted.
    exchangeCode: (_, _params: ExchangeCodeParams) => {},
    refreshTokens: (_, _params: { refreshToken: Secret | null }) => {},
    takeLease: assign({
      lease: ({ event }) => ('lease' in event ? event.lease : null),
    }),
    releaseLease: assign({ lease: null }),
    rememberInterruptedRefresh: assign({ interruptedRefresh: ({ context }) => context.lease }),
    forgetInterruptedRefresh: assign({ interruptedRefresh: null }),
    resumeInterruptedRefresh: assign({
      lease: ({ context }) => context.interruptedRefresh,
      interruptedRefresh: null,
    }),
    storeTokens: assign({
      tokens: ({ event, context }) => ('tokens' in event ? event.tokens : context.tokens),
      lastError: null,
    }),
    forgetTokens: assign({ tokens: null }),
    recordError: assign({
      lastError: ({ event }) => ('error' in event ? event.error : null),
    }),
    recordAbandonedExchange: assign({
      lastError: ({ event }) => ({
        code: 'TIMEOUT',
        message: 'A code exchange did not finish before its lease ended; the code was abandoned.',
        at: event.now,
      }),
    }),
    clearError: assign({ lastError: null }),
  },
  guards: {
    accessTokenExpired: ({ context, event }) =>
      event.type === 'TIME_ADVANCED' &&
      context.tokens !== null &&
      !isAccessTokenFresh(context.tokens, event.now, event.skewMs),
    grantsManage: ({ event }) => event.type === 'EXCHANGE_SUCCEEDED' && canManage(event.tokens),
    keptTokensCanManage: ({ context }) => context.tokens !== null && canManage(context.tokens),
    keptTokens: ({ context }) => context.tokens !== null,
    leaseExpired: ({ context, event }) =>
      context.lease === null ||
      event.now > context.lease.until ||
      (event.type === 'LEASE_TAKEN_OVER' && event.outlived === true),
    holdsSpentRefreshToken: ({ context, event }) =>
      (event.type === 'REFRESH_SUCCEEDED' || event.type === 'REFRESH_FAILED') &&
      event.spent !== undefined &&
      context.tokens?.refreshToken.equals(event.spent) === true,
    holdsRejectedRefreshToken: ({ context, event }) =>
      event.type === 'REFRESH_FAILED' &&
      event.spent !== undefined &&
      event.error.code === 'INVALID_GRANT' &&
      context.tokens?.refreshToken.equals(event.spent) === true,
    // Refused under the lease, or late but for the refresh token the session still holds.
    sessionEnded: ({ context, event }) =>
      event.type === 'REFRESH_FAILED' &&
      event.error.code === 'INVALID_GRANT' &&
      (event.spent === undefined || context.tokens?.refreshToken.equals(event.spent) === true),
    reportedUnderLease: ({ event }) => event.type === 'REFRESH_FAILED' && event.spent === undefined,
    refreshInterrupted: ({ context }) => context.interruptedRefresh !== null,
  },
}).createMachine({
  id: 'boltTokens',
  initial: 'unauthenticated',
  context: { tokens: null, lease: null, interruptedRefresh: null, lastError: null },
  on: {
    CODE_RECEIVED: { target: '.codeExchange', actions: startExchange },
    LOGOUT: {
      target: '.unauthenticated',
      actions: ['forgetTokens', 'releaseLease', 'forgetInterruptedRefresh', 'clearError'],
    },
  },
  states: {
    unauthenticated: {},
    codeExchange: {
      on: {
        // A refresh that was in flight when this login started came back: keep its tokens, so
        // that a failed login falls back to them and not to the refresh token it spent.
        REFRESH_SUCCEEDED: {
          guard: 'holdsSpentRefreshToken',
          actions: ['storeTokens', 'forgetInterruptedRefresh'],
        },
        REFRESH_FAILED: [
          // ...or was refused: the kept tokens are dead, so a failed login falls back to none.
          {
            guard: 'holdsRejectedRefreshToken',
            actions: ['forgetTokens', 'recordError', 'forgetInterruptedRefresh'],
          },
          // ...or failed otherwise: the kept refresh token is no longer being presented.
          { guard: 'holdsSpentRefreshToken', actions: ['forgetInterruptedRefresh'] },
        ],
        EXCHANGE_SUCCEEDED: [
          {
            guard: 'grantsManage',
            target: 'fullyScoped',
            actions: ['storeTokens', 'releaseLease', 'forgetInterruptedRefresh'],
          },
          {
            target: 'viewOnly',
            actions: ['storeTokens', 'releaseLease', 'forgetInterruptedRefresh'],
          },
        ],
        // A failed login keeps whatever session the shopper had before it (step-up); a refresh
        // it interrupted still owns the kept refresh token, so the session waits for it.
        EXCHANGE_FAILED: [
          {
            guard: 'refreshInterrupted',
            target: 'refresh',
            actions: ['recordError', 'resumeInterruptedRefresh'],
          },
          {
            guard: 'keptTokensCanManage',
            target: 'fullyScoped',
            actions: ['recordError', 'releaseLease'],
          },
          { guard: 'keptTokens', target: 'viewOnly', actions: ['recordError', 'releaseLease'] },
          { target: 'unauthenticated', actions: ['recordError', 'releaseLease'] },
        ],
        // The exchanging instance died: nobody else holds the code, so the login is abandoned.
        LEASE_TAKEN_OVER: [
          {
            guard: and(['leaseExpired', 'refreshInterrupted']),
            target: 'refresh',
            actions: ['recordAbandonedExchange', 'resumeInterruptedRefresh'],
          },
          {
            guard: and(['leaseExpired', 'keptTokensCanManage']),
            target: 'fullyScoped',
            actions: ['recordAbandonedExchange', 'releaseLease'],
          },
          {
            guard: and(['leaseExpired', 'keptTokens']),
            target: 'viewOnly',
            actions: ['recordAbandonedExchange', 'releaseLease'],
          },
          {
            guard: 'leaseExpired',
            target: 'unauthenticated',
            actions: ['recordAbandonedExchange', 'releaseLease'],
          },
        ],
      },
    },
    fullyScoped: {
      on: {
        TIME_ADVANCED: { guard: 'accessTokenExpired', target: 'expired' },
        REFRESH_SUCCEEDED: adoptLateRotation,
        REFRESH_FAILED: endOnLateRejection,
      },
    },
    viewOnly: {
      on: {
        TIME_ADVANCED: { guard: 'accessTokenExpired', target: 'expired' },
        REFRESH_SUCCEEDED: adoptLateRotation,
        REFRESH_FAILED: endOnLateRejection,
      },
    },
    expired: {
      on: {
        REFRESH_SUCCEEDED: adoptLateRotation,
        REFRESH_FAILED: endOnLateRejection,
        REFRESH_STARTED: { target: 'refresh', actions: startRefresh },
      },
    },
    refresh: {
      on: {
        // A login that starts now does not stop the refresh: it is remembered, and resumed
        // if the login fails.
        CODE_RECEIVED: {
          target: 'codeExchange',
          actions: ['rememberInterruptedRefresh', ...startExchange],
        },
        REFRESH_SUCCEEDED: { target: 'viewOnly', actions: ['storeTokens', 'releaseLease'] },
        REFRESH_FAILED: [
          {
            guard: 'sessionEnded',
            target: 'unauthenticated',
            actions: ['forgetTokens', 'recordError', 'releaseLease'],
          },
          // A late non-fatal failure says nothing about the attempt now holding the lease.
          {
            guard: 'reportedUnderLease',
            target: 'expired',
            actions: ['recordError', 'releaseLease'],
          },
        ],
        LEASE_TAKEN_OVER: {
          guard: 'leaseExpired',
          target: 'refresh',
          reenter: true,
          actions: startRefresh,
        },
      },
    },
  },
})

/**
 * The machine's type, for typing snapshots and tests.
 * @group Machine
 */
export type TokenMachine = typeof tokenMachine
