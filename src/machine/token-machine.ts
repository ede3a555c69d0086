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
import { and, assign, raise, setup } from 'xstate'
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
  /**
   * In `codeExchange` only: the lease of another login that was in flight when this one
   * began. If that login still succeeds, its tokens are kept for this one to fall back on;
   * if this one fails first, the session goes back to waiting for it.
   */
  interruptedLogin: Lease | null
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
  /** The code exchange came back with `tokens`. */
  | { type: 'EXCHANGE_SUCCEEDED'; now: number; tokens: TokenSet }
  /** The code exchange failed: the code is spent, the session falls back to what it had. */
  | { type: 'EXCHANGE_FAILED'; now: number; error: SessionError }
  /**
   * A login whose lease a newer login took (`lease` names it) came back with `tokens`: they
   * are kept for the newer login to fall back on, unless that one already ended.
   */
  | { type: 'LATE_EXCHANGE_SUCCEEDED'; now: number; tokens: TokenSet; lease: Lease }
  /** A login whose lease a newer login took (`lease` names it) failed: nothing to go back to. */
  | { type: 'LATE_EXCHANGE_FAILED'; now: number; error: SessionError; lease: Lease }
  /**
   * Another instance found a code exchange whose lease has ended (the exchanging instance
   * probably crashed). Nobody else holds the code, so the login is over: it fails as if
   * Bolt had failed it. See {@link TokenEvent} `LEASE_TAKEN_OVER` for `outlived`.
   */
  | { type: 'EXCHANGE_ABANDONED'; now: number; outlived?: true }
  /** The clock moved; `skewMs` is how early an access token counts as expired. */
  | { type: 'TIME_ADVANCED'; now: number; skewMs: number }
  /** Bolt refused the access token the session holds: it is expired, whatever its expiry says. */
  | { type: 'ACCESS_TOKEN_REJECTED'; now: number }
  /** This instance takes the lease to present the kept refresh token. */
  | { type: 'REFRESH_STARTED'; now: number; lease: Lease }
  /** The refresh holding the lease came back with `tokens`. */
  | { type: 'REFRESH_SUCCEEDED'; now: number; tokens: TokenSet }
  /** The refresh holding the lease failed. */
  | { type: 'REFRESH_FAILED'; now: number; error: SessionError }
  /**
   * A refresh that lost its lease (a login started, or another instance took the lease over)
   * came back with `tokens`, rotated from `spent`. If the session still holds `spent`, these
   * are the newest tokens, and keeping them is the only way not to present a spent token.
   */
  | { type: 'LATE_REFRESH_SUCCEEDED'; now: number; tokens: TokenSet; spent: Secret }
  /**
   * A refresh that lost its lease failed. If Bolt refused (`INVALID_GRANT`) the refresh
   * token `spent` that the session still holds, that token is dead.
   */
  | { type: 'LATE_REFRESH_FAILED'; now: number; error: SessionError; spent: Secret }
  /**
   * The refresh's lease holder did not finish in time (it probably crashed); another instance
   * takes over with `lease`. The lease has ended by the taker's clock (`now`), or, with
   * `outlived`, the taker watched that very lease unchanged for a whole lease length of its
   * own monotonic time: whatever the holder's clock says, the holder's request deadline
   * (shorter than a lease) has passed.
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
 * What a transition's `meta` may say. `concurrent`: only several callers or instances at once
 * cause it (a lost lease, a late answer); a merchant's single-instance picture leaves it out.
 * @group Machine
 */
export interface TokenTransitionMeta {
  concurrent?: true
}

const concurrent: TokenTransitionMeta = { concurrent: true }

/**
 * Whether a transition of {@link tokenMachine} can happen with one caller on one instance:
 * `false` for those only concurrency causes (a lost lease, a late answer). As a `filter` of
 * `toMermaid`, it draws the lifecycle a merchant sees.
 * @group Machine
 */
export function isSingleCallerTransition(transition: { meta?: unknown }): boolean {
  return (transition.meta as TokenTransitionMeta | undefined)?.concurrent !== true
}

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
 * Whether two leases are the same grant (same holder, same end); `null` or `undefined` is no
 * lease, and two of those are the same.
 * @internal
 */
export function sameLease(a: Lease | null | undefined, b: Lease | null | undefined): boolean {
  return a?.owner === b?.owner && a?.until === b?.until
}

/** Whether `event` reports on the refresh token the session holds. */
function reportsOnKeptRefreshToken(context: TokenContext, event: TokenEvent): boolean {
  // A test model may send an event type bare, without its payload: that reports on nothing.
  const spent: Secret | undefined = 'spent' in event ? event.spent : undefined
  return spent !== undefined && context.tokens?.refreshToken.equals(spent) === true
}

/**
 * The token lifecycle machine.
 *
 * - `unauthenticated` — no usable tokens (initial; also after logout or a rejected refresh).
 * - `codeExchange` — a login-modal code is being exchanged (lease held).
 * - `fullyScoped` — the access token may manage the account (`bolt.account.manage`).
 * - `expired` — the access token is (about to be) expired, or Bolt refused it; a refresh token is kept.
 * - `refresh` — a refresh is in flight (lease held: this state is the distributed lock).
 * - `viewOnly` — refreshed: the access token may only read the account, until the next login.
 *
 * A refresh that lost its lease may still come back: `LATE_REFRESH_SUCCEEDED` and
 * `LATE_REFRESH_FAILED` are handled once, for every state, at the top level (and by
 * `codeExchange` its own way, since a login in flight keeps its lease).
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
    rememberInterruptedLogin: assign({ interruptedLogin: ({ context }) => context.lease }),
    forgetInterruptedLogin: assign({ interruptedLogin: null }),
    resumeInterruptedLogin: assign({
      lease: ({ context }) => context.interruptedLogin,
      interruptedLogin: null,
    }),
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
    clearError: assign({ lastError: null }),
    failAbandonedExchange: raise(({ event }) => ({
      type: 'EXCHANGE_FAILED' as const,
      now: event.now,
      error: {
        code: 'TIMEOUT' as const,
        message: 'A code exchange did not finish before its lease ended; the code was abandoned.',
        at: event.now,
      },
    })),
  },
  guards: {
    accessTokenExpired: ({ context, event }) =>
      event.type === 'TIME_ADVANCED' &&
      context.tokens !== null &&
      !isAccessTokenFresh(context.tokens, event.now, event.skewMs),
    tokensGrantManage: ({ event }) =>
      event.type === 'EXCHANGE_SUCCEEDED' && canManage(event.tokens),
    keptTokensCanManage: ({ context }) => context.tokens !== null && canManage(context.tokens),
    hasKeptTokens: ({ context }) => context.tokens !== null,
    hasInterruptedRefresh: ({ context }) => context.interruptedRefresh !== null,
    hasInterruptedLogin: ({ context }) => context.interruptedLogin !== null,
    isInterruptedLogin: ({ context, event }) =>
      (event.type === 'LATE_EXCHANGE_SUCCEEDED' || event.type === 'LATE_EXCHANGE_FAILED') &&
      context.interruptedLogin !== null &&
      sameLease(context.interruptedLogin, event.lease),
    leaseEnded: ({ context, event }) =>
      context.lease === null ||
      event.now > context.lease.until ||
      ('outlived' in event && event.outlived === true),
    refreshTokenRejected: ({ event }) =>
      (event.type === 'REFRESH_FAILED' || event.type === 'LATE_REFRESH_FAILED') &&
      event.error?.code === 'INVALID_GRANT',
    holdsSpentRefreshToken: ({ context, event }) => reportsOnKeptRefreshToken(context, event),
    holdsRejectedRefreshToken: and(['holdsSpentRefreshToken', 'refreshTokenRejected']),
  },
}).createMachine({
  id: 'boltTokens',
  initial: 'unauthenticated',
  context: {
    tokens: null,
    lease: null,
    interruptedRefresh: null,
    interruptedLogin: null,
    lastError: null,
  },
  on: {
    CODE_RECEIVED: { target: '.codeExchange', actions: startExchange },
    LOGOUT: {
      target: '.unauthenticated',
      actions: [
        'forgetTokens',
        'releaseLease',
        'forgetInterruptedRefresh',
        'forgetInterruptedLogin',
        'clearError',
      ],
    },
    // A refresh that lost its lease rotated the refresh token the session still holds: its
    // tokens are the newest, and the lease of whoever presents that spent token now is void.
    LATE_REFRESH_SUCCEEDED: {
      guard: 'holdsSpentRefreshToken',
      target: '.viewOnly',
      actions: ['storeTokens', 'releaseLease'],
      meta: concurrent,
    },
    // ...or Bolt refused it: the token the session holds is dead, and presenting it again
    // would only be refused again (or, at Bolt, count as a reuse). The session ends.
    LATE_REFRESH_FAILED: {
      guard: 'holdsRejectedRefreshToken',
      target: '.unauthenticated',
      actions: ['forgetTokens', 'recordError', 'releaseLease'],
      meta: concurrent,
    },
  },
  states: {
    unauthenticated: {},
    codeExchange: {
      on: {
        // A second login while one is in flight (two tabs): the newer one holds the lease;
        // the older one's answer still counts, see LATE_EXCHANGE_SUCCEEDED.
        CODE_RECEIVED: {
          actions: ['rememberInterruptedLogin', ...startExchange],
          meta: concurrent,
        },
        EXCHANGE_SUCCEEDED: [
          {
            guard: 'tokensGrantManage',
            target: 'fullyScoped',
            actions: [
              'storeTokens',
              'releaseLease',
              'forgetInterruptedRefresh',
              'forgetInterruptedLogin',
            ],
          },
          {
            target: 'viewOnly',
            actions: [
              'storeTokens',
              'releaseLease',
              'forgetInterruptedRefresh',
              'forgetInterruptedLogin',
            ],
          },
        ],
        // A failed login keeps whatever session the shopper had before it (step-up). A login
        // or a refresh it interrupted is still in flight, so the session waits for that.
        EXCHANGE_FAILED: [
          {
            guard: 'hasInterruptedLogin',
            actions: ['recordError', 'resumeInterruptedLogin'],
            meta: concurrent,
          },
          {
            guard: 'hasInterruptedRefresh',
            target: 'refresh',
            actions: ['recordError', 'resumeInterruptedRefresh'],
            meta: concurrent,
          },
          {
            guard: 'keptTokensCanManage',
            target: 'fullyScoped',
            actions: ['recordError', 'releaseLease'],
          },
          { guard: 'hasKeptTokens', target: 'viewOnly', actions: ['recordError', 'releaseLease'] },
          { target: 'unauthenticated', actions: ['recordError', 'releaseLease'] },
        ],
        // The exchanging instance died: nobody else holds the code, so the login failed.
        EXCHANGE_ABANDONED: {
          guard: 'leaseEnded',
          actions: ['failAbandonedExchange'],
          meta: concurrent,
        },
        // The login this one interrupted succeeded: its tokens are what this one falls back on.
        LATE_EXCHANGE_SUCCEEDED: {
          guard: 'isInterruptedLogin',
          actions: ['storeTokens', 'forgetInterruptedLogin', 'forgetInterruptedRefresh'],
          meta: concurrent,
        },
        // ...or failed: there is nothing to go back to.
        LATE_EXCHANGE_FAILED: {
          guard: 'isInterruptedLogin',
          actions: ['forgetInterruptedLogin'],
          meta: concurrent,
        },
        // A refresh this login interrupted came back. The login keeps its lease; the refresh's
        // tokens become what a failed login falls back to.
        LATE_REFRESH_SUCCEEDED: {
          guard: 'holdsSpentRefreshToken',
          actions: ['storeTokens', 'forgetInterruptedRefresh'],
          meta: concurrent,
        },
        LATE_REFRESH_FAILED: [
          // ...or was refused: the kept tokens are dead, so a failed login falls back to none.
          {
            guard: 'holdsRejectedRefreshToken',
            actions: ['forgetTokens', 'recordError', 'forgetInterruptedRefresh'],
            meta: concurrent,
          },
          // ...or failed otherwise: the kept refresh token is no longer being presented.
          {
            guard: 'holdsSpentRefreshToken',
            actions: ['forgetInterruptedRefresh'],
            meta: concurrent,
          },
        ],
      },
    },
    fullyScoped: {
      on: {
        TIME_ADVANCED: { guard: 'accessTokenExpired', target: 'expired' },
        ACCESS_TOKEN_REJECTED: { target: 'expired' },
      },
    },
    viewOnly: {
      on: {
        TIME_ADVANCED: { guard: 'accessTokenExpired', target: 'expired' },
        ACCESS_TOKEN_REJECTED: { target: 'expired' },
      },
    },
    expired: {
      on: {
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
          meta: concurrent,
        },
        REFRESH_SUCCEEDED: { target: 'viewOnly', actions: ['storeTokens', 'releaseLease'] },
        REFRESH_FAILED: [
          {
            guard: 'refreshTokenRejected',
            target: 'unauthenticated',
            actions: ['forgetTokens', 'recordError', 'releaseLease'],
          },
          { target: 'expired', actions: ['recordError', 'releaseLease'] },
        ],
        LEASE_TAKEN_OVER: {
          guard: 'leaseEnded',
          target: 'refresh',
          reenter: true,
          actions: startRefresh,
          meta: concurrent,
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
