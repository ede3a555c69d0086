import { describe, expect, it } from 'vitest'
import { transition } from 'xstate'
import type {
  Lease,
  SessionError,
  TokenEvent,
  TokenSet,
  TokenState,
} from '../../src/machine/index.js'
import { tokenMachine } from '../../src/machine/token-machine.js'
import { Secret } from '../../src/secret.js'
import { HOUR, manageTokens, NOW, viewTokens } from '../support/token-sets.js'
import { expectAfter, expectIgnored, liveLease, sessionIn } from './expect-after.js'

const error: SessionError = { code: 'SERVER_ERROR', message: 'down', at: NOW }
const refusal: SessionError = { code: 'INVALID_GRANT', message: 'refused', at: NOW }
const lease = { owner: 'me', until: NOW + 15_000 }
const code = new Secret('code_1')
const scope = 'bolt.account.manage openid'
/** Past the default lease's end. */
const AFTER_LEASE = NOW + 20_000
const newer: TokenSet = {
  ...viewTokens,
  accessToken: new Secret('at_new'),
  refreshToken: new Secret('rt_new'),
}

const lateSuccess = (spent: string): TokenEvent => ({
  type: 'LATE_REFRESH_SUCCEEDED',
  now: NOW,
  tokens: newer,
  spent: new Secret(spent),
})
const lateFailure = (spent: string, failure: SessionError = refusal): TokenEvent => ({
  type: 'LATE_REFRESH_FAILED',
  now: NOW,
  error: failure,
  spent: new Secret(spent),
})

/** One event of each type; the late ones name `rt_1`, the default manage tokens' refresh token. */
const events: Record<TokenEvent['type'], TokenEvent> = {
  CODE_RECEIVED: { type: 'CODE_RECEIVED', now: NOW, lease, code, scope },
  EXCHANGE_SUCCEEDED: { type: 'EXCHANGE_SUCCEEDED', now: NOW, tokens: manageTokens },
  EXCHANGE_FAILED: { type: 'EXCHANGE_FAILED', now: NOW, error },
  // From a login whose lease a newer one took: the default sessions have none.
  LATE_EXCHANGE_SUCCEEDED: {
    type: 'LATE_EXCHANGE_SUCCEEDED',
    now: NOW,
    tokens: manageTokens,
    lease: liveLease,
  },
  LATE_EXCHANGE_FAILED: { type: 'LATE_EXCHANGE_FAILED', now: NOW, error, lease: liveLease },
  EXCHANGE_ABANDONED: { type: 'EXCHANGE_ABANDONED', now: AFTER_LEASE },
  // The default tokens expire in an hour: two hours later they are expired.
  TIME_ADVANCED: { type: 'TIME_ADVANCED', now: NOW + 2 * HOUR, skewMs: 60_000 },
  ACCESS_TOKEN_REJECTED: { type: 'ACCESS_TOKEN_REJECTED', now: NOW },
  REFRESH_STARTED: { type: 'REFRESH_STARTED', now: NOW, lease },
  REFRESH_SUCCEEDED: { type: 'REFRESH_SUCCEEDED', now: NOW, tokens: viewTokens },
  REFRESH_FAILED: { type: 'REFRESH_FAILED', now: NOW, error },
  LATE_REFRESH_SUCCEEDED: lateSuccess('rt_1'),
  LATE_REFRESH_FAILED: lateFailure('rt_1'),
  LEASE_TAKEN_OVER: {
    type: 'LEASE_TAKEN_OVER',
    now: AFTER_LEASE,
    lease: { owner: 'me', until: NOW + 35_000 },
  },
  LOGOUT: { type: 'LOGOUT', now: NOW },
}

const ignoresAll = Object.fromEntries(Object.keys(events).map((type) => [type, null])) as Record<
  TokenEvent['type'],
  TokenState | null
>
const everywhere = { CODE_RECEIVED: 'codeExchange', LOGOUT: 'unauthenticated' } as const

// Where each event leads from each state (default contexts); null = ignored, stays put.
const expected: Record<TokenState, Record<TokenEvent['type'], TokenState | null>> = {
  // Holds no tokens: no late answer is about it.
  unauthenticated: { ...ignoresAll, ...everywhere },
  codeExchange: {
    ...ignoresAll,
    ...everywhere,
    EXCHANGE_SUCCEEDED: 'fullyScoped',
    EXCHANGE_FAILED: 'unauthenticated',
    EXCHANGE_ABANDONED: 'unauthenticated',
  },
  fullyScoped: {
    ...ignoresAll,
    ...everywhere,
    TIME_ADVANCED: 'expired',
    ACCESS_TOKEN_REJECTED: 'expired',
    LATE_REFRESH_SUCCEEDED: 'viewOnly',
    LATE_REFRESH_FAILED: 'unauthenticated',
  },
  expired: {
    ...ignoresAll,
    ...everywhere,
    REFRESH_STARTED: 'refresh',
    LATE_REFRESH_SUCCEEDED: 'viewOnly',
    LATE_REFRESH_FAILED: 'unauthenticated',
  },
  refresh: {
    ...ignoresAll,
    ...everywhere,
    REFRESH_SUCCEEDED: 'viewOnly',
    REFRESH_FAILED: 'expired',
    LEASE_TAKEN_OVER: 'refresh',
    LATE_REFRESH_SUCCEEDED: 'viewOnly',
    LATE_REFRESH_FAILED: 'unauthenticated',
  },
  // Holds rt_2: the late answers about rt_1 are not about it.
  viewOnly: {
    ...ignoresAll,
    ...everywhere,
    TIME_ADVANCED: 'expired',
    ACCESS_TOKEN_REJECTED: 'expired',
  },
}

describe('tokenMachine: every state × event', () => {
  for (const [state, row] of Object.entries(expected) as [
    TokenState,
    Record<TokenEvent['type'], TokenState | null>,
  ][]) {
    for (const [type, target] of Object.entries(row) as [TokenEvent['type'], TokenState | null][]) {
      it(`${state} + ${type} → ${target ?? 'stays put'}`, () => {
        if (target === null) expectIgnored(state, events[type])
        else expect(transition(tokenMachine, sessionIn(state), events[type])[0].value).toBe(target)
      })
    }
  }
})

const cleared = {
  tokens: null,
  lease: null,
  interruptedRefresh: null,
  interruptedLogin: null,
  lastError: null,
}

describe('tokenMachine: logging in', () => {
  it('starts unauthenticated', () => {
    expect(tokenMachine.config.initial).toBe('unauthenticated')
  })

  it('CODE_RECEIVED takes the lease and asks for exchangeCode with the code, scope and state', () => {
    const received = { ...events.CODE_RECEIVED, state: 'st_1' } as TokenEvent
    const after = expectAfter('viewOnly', received, {
      state: 'codeExchange',
      changes: { lease },
      effects: [['exchangeCode', { code, scope, state: 'st_1' }]],
    })
    // The code is never part of the persisted context.
    expect(JSON.stringify(after.context)).not.toContain('code_1')
  })

  it('EXCHANGE_SUCCEEDED with manage leads to fullyScoped, without it to viewOnly', () => {
    expectAfter('codeExchange', events.EXCHANGE_SUCCEEDED, {
      state: 'fullyScoped',
      changes: { tokens: manageTokens, lease: null },
    })
    expectAfter(
      'codeExchange',
      { type: 'EXCHANGE_SUCCEEDED', now: NOW, tokens: viewTokens },
      { state: 'viewOnly', changes: { tokens: viewTokens, lease: null } },
    )
  })

  it('a failed step-up keeps the view-only session and records the error', () => {
    expectAfter(
      'codeExchange',
      events.EXCHANGE_FAILED,
      { state: 'viewOnly', changes: { lease: null, lastError: error } },
      { tokens: viewTokens },
    )
  })

  it('a failed re-login of a fully scoped session keeps it fully scoped', () => {
    expectAfter(
      'codeExchange',
      events.EXCHANGE_FAILED,
      { state: 'fullyScoped', changes: { lease: null, lastError: error } },
      { tokens: manageTokens },
    )
  })

  it('an abandoned exchange (lease ended) fails like a failed login, and says why', () => {
    const abandoned: SessionError = {
      code: 'TIMEOUT',
      message: 'A code exchange did not finish before its lease ended; the code was abandoned.',
      at: AFTER_LEASE,
    }
    for (const [tokens, state] of [
      [viewTokens, 'viewOnly'],
      [manageTokens, 'fullyScoped'],
      [null, 'unauthenticated'],
    ] as const) {
      expectAfter(
        'codeExchange',
        events.EXCHANGE_ABANDONED,
        { state, changes: { lease: null, lastError: abandoned } },
        { tokens },
      )
    }
  })

  it('a live exchange lease cannot be abandoned, unless the taker watched it outlive a whole leaseMs', () => {
    const early: TokenEvent = { type: 'EXCHANGE_ABANDONED', now: NOW + 1_000 }
    expectIgnored('codeExchange', early)
    expect(
      transition(tokenMachine, sessionIn('codeExchange'), { ...early, outlived: true })[0].value,
    ).toBe('unauthenticated')
  })
})

describe('tokenMachine: expiry and refresh', () => {
  it('a token with less than the skew left counts as expired; one with more does not', () => {
    const at = (now: number): TokenEvent => ({ type: 'TIME_ADVANCED', now, skewMs: 60_000 })
    expectIgnored('fullyScoped', at(NOW + HOUR - 60_001))
    expectAfter('fullyScoped', at(NOW + HOUR - 60_000), { state: 'expired' })
  })

  it('a token Bolt refused is expired whatever its expiry says, and nothing else changes', () => {
    expectAfter('fullyScoped', events.ACCESS_TOKEN_REJECTED, { state: 'expired' })
    expectAfter('viewOnly', events.ACCESS_TOKEN_REJECTED, { state: 'expired' })
  })

  it('REFRESH_STARTED takes the lease and asks for refreshTokens with the newest refresh token', () => {
    expectAfter(
      'expired',
      events.REFRESH_STARTED,
      {
        state: 'refresh',
        changes: { lease },
        effects: [['refreshTokens', { refreshToken: new Secret('rt_2') }]],
      },
      { tokens: viewTokens },
    )
  })

  it('REFRESH_SUCCEEDED stores the view-only tokens, clears the error and releases the lease', () => {
    expectAfter(
      'refresh',
      events.REFRESH_SUCCEEDED,
      { state: 'viewOnly', changes: { tokens: viewTokens, lease: null, lastError: null } },
      { lastError: error },
    )
  })

  it('a transient refresh failure keeps the refresh token and records the error', () => {
    expectAfter('refresh', events.REFRESH_FAILED, {
      state: 'expired',
      changes: { lease: null, lastError: error },
    })
  })

  it('invalid_grant on refresh ends the session and keeps the error', () => {
    expectAfter(
      'refresh',
      { type: 'REFRESH_FAILED', now: NOW, error: refusal },
      { state: 'unauthenticated', changes: { tokens: null, lease: null, lastError: refusal } },
    )
  })

  it('LOGOUT from every state forgets tokens, lease, interrupted refresh and error', () => {
    for (const state of Object.keys(expected) as TokenState[]) {
      expectAfter(
        state,
        events.LOGOUT,
        { state: 'unauthenticated', changes: cleared },
        { lastError: error, interruptedRefresh: state === 'codeExchange' ? liveLease : null },
      )
    }
  })

  it('has exactly the six states, no invoke and no after', () => {
    expect(Object.keys(tokenMachine.config.states ?? {}).sort()).toEqual([
      'codeExchange',
      'expired',
      'fullyScoped',
      'refresh',
      'unauthenticated',
      'viewOnly',
    ])
    for (const node of Object.values(tokenMachine.root.states)) {
      expect(node.invoke).toEqual([])
      expect(node.after).toEqual([])
    }
  })
})

describe('tokenMachine: taking a refresh lease over', () => {
  const early = { type: 'LEASE_TAKEN_OVER', now: NOW, lease } as const

  it('re-enters refresh with a new lease and presents the same refresh token', () => {
    const taker = { owner: 'me', until: NOW + 35_000 }
    expectAfter('refresh', events.LEASE_TAKEN_OVER, {
      state: 'refresh',
      changes: { lease: taker },
      effects: [['refreshTokens', { refreshToken: new Secret('rt_1') }]],
    })
  })

  it('is refused while the lease is live by the taker’s clock', () => {
    expectIgnored('refresh', early)
  })

  it('is allowed when the taker watched the lease outlive a whole leaseMs (the holder’s clock runs ahead)', () => {
    expectAfter(
      'refresh',
      { ...early, outlived: true },
      {
        state: 'refresh',
        changes: { lease },
        effects: [['refreshTokens', { refreshToken: new Secret('rt_1') }]],
      },
    )
  })
})

describe('Secret', () => {
  it('prints as a redaction everywhere and reveals only on request', async () => {
    const { inspect } = await import('node:util')
    const secret = new Secret('at_very_secret_value')
    const holder = { token: secret, nested: { list: [secret] } }
    for (const text of [
      String(secret),
      `${secret}`,
      JSON.stringify(holder),
      inspect(holder, { depth: 10 }),
    ]) {
      expect(text).not.toContain('at_very_secret_value')
      expect(text).toContain('[redacted]')
    }
    expect(secret.reveal()).toBe('at_very_secret_value')
    expect(new Secret('a')).toEqual(new Secret('a'))
    expect(new Secret('a')).not.toEqual(new Secret('b'))
  })
})

/** Outside a login, each state a late answer can be about, with the refresh token it holds. */
const holdingTheirRefreshToken = [
  ['fullyScoped', manageTokens, 'rt_1'],
  ['viewOnly', viewTokens, 'rt_2'],
  ['expired', manageTokens, 'rt_1'],
  ['refresh', manageTokens, 'rt_1'],
] as const

describe('tokenMachine: a late refresh (its lease lost) keeps the newest rotation', () => {
  it('in codeExchange it replaces the kept tokens and keeps the login’s lease', () => {
    const after = expectAfter(
      'codeExchange',
      lateSuccess('rt_1'),
      { state: 'codeExchange', changes: { tokens: newer } },
      { tokens: manageTokens },
    )
    expectAfter(after, events.EXCHANGE_FAILED, {
      state: 'viewOnly',
      changes: { lease: null, lastError: error },
    })
  })

  it('anywhere else holding the spent token it goes to viewOnly with the new tokens', () => {
    // In refresh, another instance took the lease over and presents the spent token: its
    // lease is void.
    for (const [state, tokens, spent] of holdingTheirRefreshToken) {
      expectAfter(
        state,
        lateSuccess(spent),
        { state: 'viewOnly', changes: { tokens: newer, lease: null } },
        { tokens },
      )
    }
  })

  it('is ignored when the session no longer holds the spent token (a newer login or rotation won)', () => {
    for (const state of [
      'codeExchange',
      'fullyScoped',
      'viewOnly',
      'expired',
      'refresh',
    ] as const) {
      expectIgnored(state, lateSuccess('rt_other'), { tokens: manageTokens })
    }
    expectIgnored('unauthenticated', lateSuccess('rt_1'))
  })
})

describe('tokenMachine: a late refresh failure (its lease lost)', () => {
  it('refused while the session still holds that token: the session ends', () => {
    for (const [state, tokens, spent] of holdingTheirRefreshToken) {
      expectAfter(
        state,
        lateFailure(spent),
        { state: 'unauthenticated', changes: { tokens: null, lease: null, lastError: refusal } },
        { tokens },
      )
    }
  })

  const duringLogin = {
    tokens: manageTokens,
    interruptedRefresh: { owner: 'r', until: NOW + 15_000 },
  }

  it('refused during a login: the kept tokens go, the login goes on under its lease', () => {
    const after = expectAfter(
      'codeExchange',
      lateFailure('rt_1'),
      {
        state: 'codeExchange',
        changes: { tokens: null, interruptedRefresh: null, lastError: refusal },
      },
      duringLogin,
    )
    expectAfter(after, events.EXCHANGE_FAILED, {
      state: 'unauthenticated',
      changes: { lease: null, lastError: error },
    })
  })

  it('failed otherwise during a login: the login no longer waits for it and falls back to the kept tokens', () => {
    const after = expectAfter(
      'codeExchange',
      lateFailure('rt_1', error),
      { state: 'codeExchange', changes: { interruptedRefresh: null } },
      duringLogin,
    )
    expectAfter(after, events.EXCHANGE_FAILED, {
      state: 'fullyScoped',
      changes: { lease: null, lastError: error },
    })
  })

  it('is ignored when not a refusal outside a login, or when the session holds another token', () => {
    for (const state of ['fullyScoped', 'expired', 'refresh'] as const) {
      // A late 5xx says nothing about the attempt now holding the lease.
      expectIgnored(state, lateFailure('rt_1', error), { tokens: manageTokens })
      expectIgnored(state, lateFailure('rt_other'), { tokens: manageTokens })
    }
  })
})

/**
 * A login with `lease` that starts while the session is in `state` under `held`: it takes the
 * lease, asks for the exchange, and remembers `held` in `remembered`.
 */
function loginWhile(
  state: 'refresh' | 'codeExchange',
  held: Lease,
  lease: Lease,
  remembered: 'interruptedRefresh' | 'interruptedLogin',
) {
  const login = { ...events.CODE_RECEIVED, lease } as TokenEvent
  return () =>
    expectAfter(
      state,
      login,
      {
        state: 'codeExchange',
        changes: { lease, [remembered]: held },
        effects: [['exchangeCode', { code, scope }]],
      },
      { lease: held },
    )
}

describe('tokenMachine: a login that starts while a refresh is in flight', () => {
  const refreshLease = { owner: 'refresher', until: NOW + 15_000 }
  const loginLease = { owner: 'login', until: NOW + 15_000 }
  const interrupted = loginWhile('refresh', refreshLease, loginLease, 'interruptedRefresh')

  it('remembers the refresh, whose request still presents the kept refresh token', () => {
    interrupted()
  })

  it('a failed login hands the session back to that refresh, under its lease', () => {
    // Nobody presents the kept refresh token again: the refresh in flight still owns it.
    expectAfter(interrupted(), events.EXCHANGE_FAILED, {
      state: 'refresh',
      changes: { lease: refreshLease, interruptedRefresh: null, lastError: error },
    })
  })

  it('an abandoned login hands it back too (then the next caller takes the ended lease over)', () => {
    const after = expectAfter(interrupted(), events.EXCHANGE_ABANDONED, {
      state: 'refresh',
      changes: {
        lease: refreshLease,
        interruptedRefresh: null,
        lastError: {
          code: 'TIMEOUT',
          message: 'A code exchange did not finish before its lease ended; the code was abandoned.',
          at: AFTER_LEASE,
        },
      },
    })
    expect(after.context.tokens).toBe(manageTokens)
  })

  it('a successful login forgets it (its tokens replace the ones being refreshed)', () => {
    expectAfter(interrupted(), events.EXCHANGE_SUCCEEDED, {
      state: 'fullyScoped',
      changes: { tokens: manageTokens, lease: null, interruptedRefresh: null },
    })
  })

  it('a second login keeps it (and remembers the first login); a logout forgets it', () => {
    expectAfter(interrupted(), events.CODE_RECEIVED, {
      state: 'codeExchange',
      changes: { lease, interruptedLogin: loginLease },
      effects: [['exchangeCode', { code, scope }]],
    })
    expectAfter(interrupted(), events.LOGOUT, { state: 'unauthenticated', changes: cleared })
  })
})

describe('tokenMachine: a login that starts while another is in flight (two tabs)', () => {
  const firstLease = { owner: 'tab-1', until: NOW + 15_000 }
  const secondLease = { owner: 'tab-2', until: NOW + 15_000 }
  const overlapping = loginWhile('codeExchange', firstLease, secondLease, 'interruptedLogin')

  it('the second takes the lease and remembers the first', () => {
    overlapping()
  })

  it('the first succeeds late: its tokens are kept for the second to fall back on', () => {
    const late: TokenEvent = {
      type: 'LATE_EXCHANGE_SUCCEEDED',
      now: NOW,
      tokens: manageTokens,
      lease: firstLease,
    }
    const kept = expectAfter(overlapping(), late, {
      state: 'codeExchange',
      changes: { tokens: manageTokens, interruptedLogin: null },
    })
    expectAfter(kept, events.EXCHANGE_FAILED, {
      state: 'fullyScoped',
      changes: { lease: null, lastError: error },
    })
    // A late answer of any other login is not about this session any more.
    expectIgnored(overlapping(), { ...late, lease: { owner: 'tab-3', until: NOW } })
  })

  it('the second fails first: the session goes back to the first login, under its lease', () => {
    expectAfter(overlapping(), events.EXCHANGE_FAILED, {
      state: 'codeExchange',
      changes: { lease: firstLease, interruptedLogin: null, lastError: error },
    })
  })

  it('the first fails late: nothing to go back to', () => {
    const failed: TokenEvent = { type: 'LATE_EXCHANGE_FAILED', now: NOW, error, lease: firstLease }
    const after = expectAfter(overlapping(), failed, {
      state: 'codeExchange',
      changes: { interruptedLogin: null },
    })
    expectAfter(after, events.EXCHANGE_FAILED, {
      state: 'unauthenticated',
      changes: { lease: null, lastError: error },
    })
  })

  it('the second succeeds: the first is forgotten', () => {
    expectAfter(overlapping(), events.EXCHANGE_SUCCEEDED, {
      state: 'fullyScoped',
      changes: { tokens: manageTokens, lease: null, interruptedLogin: null },
    })
  })
})
