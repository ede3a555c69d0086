import { describe, expect, it } from 'vitest'
import { transition } from 'xstate'
import {
  type TokenContext,
  type TokenEvent,
  type TokenState,
  tokenMachine,
} from '../../src/machine/token-machine.js'
import type { TokenSet } from '../../src/machine/token-set.js'
import { Secret } from '../../src/secret.js'
import { HOUR, manageTokens, NOW, viewTokens } from '../support/token-sets.js'

const liveLease = { owner: 'other', until: NOW + 15_000 }
const error = { code: 'SERVER_ERROR' as const, message: 'down', at: NOW }

function snapshotIn(state: TokenState, context: Partial<TokenContext> = {}) {
  const defaults: Record<TokenState, TokenContext> = {
    unauthenticated: { tokens: null, lease: null, interruptedRefresh: null, lastError: null },
    codeExchange: { tokens: null, lease: liveLease, interruptedRefresh: null, lastError: null },
    fullyScoped: { tokens: manageTokens, lease: null, interruptedRefresh: null, lastError: null },
    expired: { tokens: manageTokens, lease: null, interruptedRefresh: null, lastError: null },
    refresh: { tokens: manageTokens, lease: liveLease, interruptedRefresh: null, lastError: null },
    viewOnly: { tokens: viewTokens, lease: null, interruptedRefresh: null, lastError: null },
  }
  return tokenMachine.resolveState({ value: state, context: { ...defaults[state], ...context } })
}

const lease = { owner: 'me', until: NOW + 15_000 }
const events: Record<TokenEvent['type'], TokenEvent> = {
  CODE_RECEIVED: {
    type: 'CODE_RECEIVED',
    now: NOW,
    lease,
    code: new Secret('code_1'),
    scope: 'bolt.account.manage openid',
  },
  EXCHANGE_SUCCEEDED: { type: 'EXCHANGE_SUCCEEDED', now: NOW, tokens: manageTokens },
  EXCHANGE_FAILED: { type: 'EXCHANGE_FAILED', now: NOW, error },
  // The default tokens expire in an hour: two hours later they are expired.
  TIME_ADVANCED: { type: 'TIME_ADVANCED', now: NOW + 2 * HOUR, skewMs: 60_000 },
  REFRESH_STARTED: { type: 'REFRESH_STARTED', now: NOW, lease },
  REFRESH_SUCCEEDED: { type: 'REFRESH_SUCCEEDED', now: NOW, tokens: viewTokens },
  REFRESH_FAILED: { type: 'REFRESH_FAILED', now: NOW, error },
  // Past the default lease's end.
  LEASE_TAKEN_OVER: {
    type: 'LEASE_TAKEN_OVER',
    now: NOW + 20_000,
    lease: { owner: 'me', until: NOW + 35_000 },
  },
  LOGOUT: { type: 'LOGOUT', now: NOW },
}

// Where each event leads from each state (default contexts above); null = ignored, stays put.
const expected: Record<TokenState, Record<TokenEvent['type'], TokenState | null>> = {
  unauthenticated: {
    CODE_RECEIVED: 'codeExchange',
    EXCHANGE_SUCCEEDED: null,
    EXCHANGE_FAILED: null,
    TIME_ADVANCED: null,
    REFRESH_STARTED: null,
    REFRESH_SUCCEEDED: null,
    REFRESH_FAILED: null,
    LEASE_TAKEN_OVER: null,
    LOGOUT: 'unauthenticated',
  },
  codeExchange: {
    CODE_RECEIVED: 'codeExchange',
    EXCHANGE_SUCCEEDED: 'fullyScoped',
    EXCHANGE_FAILED: 'unauthenticated',
    TIME_ADVANCED: null,
    REFRESH_STARTED: null,
    REFRESH_SUCCEEDED: null,
    REFRESH_FAILED: null,
    LEASE_TAKEN_OVER: 'unauthenticated',
    LOGOUT: 'unauthenticated',
  },
  fullyScoped: {
    CODE_RECEIVED: 'codeExchange',
    EXCHANGE_SUCCEEDED: null,
    EXCHANGE_FAILED: null,
    TIME_ADVANCED: 'expired',
    REFRESH_STARTED: null,
    REFRESH_SUCCEEDED: null,
    REFRESH_FAILED: null,
    LEASE_TAKEN_OVER: null,
    LOGOUT: 'unauthenticated',
  },
  expired: {
    CODE_RECEIVED: 'codeExchange',
    EXCHANGE_SUCCEEDED: null,
    EXCHANGE_FAILED: null,
    TIME_ADVANCED: null,
    REFRESH_STARTED: 'refresh',
    REFRESH_SUCCEEDED: null,
    REFRESH_FAILED: null,
    LEASE_TAKEN_OVER: null,
    LOGOUT: 'unauthenticated',
  },
  refresh: {
    CODE_RECEIVED: 'codeExchange',
    EXCHANGE_SUCCEEDED: null,
    EXCHANGE_FAILED: null,
    TIME_ADVANCED: null,
    REFRESH_STARTED: null,
    REFRESH_SUCCEEDED: 'viewOnly',
    REFRESH_FAILED: 'expired',
    LEASE_TAKEN_OVER: 'refresh',
    LOGOUT: 'unauthenticated',
  },
  viewOnly: {
    CODE_RECEIVED: 'codeExchange',
    EXCHANGE_SUCCEEDED: null,
    EXCHANGE_FAILED: null,
    TIME_ADVANCED: 'expired',
    REFRESH_STARTED: null,
    REFRESH_SUCCEEDED: null,
    REFRESH_FAILED: null,
    LEASE_TAKEN_OVER: null,
    LOGOUT: 'unauthenticated',
  },
}

describe('tokenMachine: every state × event', () => {
  for (const [state, row] of Object.entries(expected) as [
    TokenState,
    Record<TokenEvent['type'], TokenState | null>,
  ][]) {
    for (const [type, target] of Object.entries(row) as [TokenEvent['type'], TokenState | null][]) {
      it(`${state} + ${type} → ${target ?? 'stays put'}`, () => {
        const before = snapshotIn(state)
        const [after, actions] = transition(tokenMachine, before, events[type])
        if (target === null) {
          expect(after.value).toBe(state)
          expect(after.context).toBe(before.context)
          expect(actions).toEqual([])
        } else {
          expect(after.value).toBe(target)
        }
      })
    }
  }
})

describe('tokenMachine: what the transitions carry', () => {
  it('starts unauthenticated with no tokens', () => {
    const [snapshot] = transition(tokenMachine, snapshotIn('unauthenticated'), {
      type: 'LOGOUT',
      now: NOW,
    })
    expect(snapshot.value).toBe('unauthenticated')
    expect(tokenMachine.config.initial).toBe('unauthenticated')
  })

  it('CODE_RECEIVED takes the lease and asks for exchangeCode with the code, scope and state', () => {
    const [snapshot, actions] = transition(tokenMachine, snapshotIn('viewOnly'), {
      ...events.CODE_RECEIVED,
      state: 'st_1',
    } as TokenEvent)
    expect(snapshot.context.lease).toEqual(lease)
    expect(snapshot.context.tokens).toEqual(viewTokens)
    expect(actions.map((action) => [action.type, action.params])).toEqual([
      [
        'exchangeCode',
        { code: new Secret('code_1'), scope: 'bolt.account.manage openid', state: 'st_1' },
      ],
    ])
  })

  it('the code is never part of the persisted context', () => {
    const [snapshot] = transition(tokenMachine, snapshotIn('unauthenticated'), events.CODE_RECEIVED)
    expect(JSON.stringify(snapshot.context)).not.toContain('code_1')
  })

  it('EXCHANGE_SUCCEEDED without manage scope leads to viewOnly', () => {
    const [snapshot] = transition(tokenMachine, snapshotIn('codeExchange'), {
      type: 'EXCHANGE_SUCCEEDED',
      now: NOW,
      tokens: viewTokens,
    })
    expect(snapshot.value).toBe('viewOnly')
    expect(snapshot.context).toEqual({
      tokens: viewTokens,
      lease: null,
      interruptedRefresh: null,
      lastError: null,
    })
  })

  it('a failed step-up keeps the view-only session and records the error', () => {
    const [snapshot] = transition(
      tokenMachine,
      snapshotIn('codeExchange', { tokens: viewTokens }),
      events.EXCHANGE_FAILED,
    )
    expect(snapshot.value).toBe('viewOnly')
    expect(snapshot.context).toEqual({
      tokens: viewTokens,
      lease: null,
      interruptedRefresh: null,
      lastError: error,
    })
  })

  it('a failed re-login of a fully scoped session keeps it fully scoped', () => {
    const [snapshot] = transition(
      tokenMachine,
      snapshotIn('codeExchange', { tokens: manageTokens }),
      events.EXCHANGE_FAILED,
    )
    expect(snapshot.value).toBe('fullyScoped')
  })

  it('an abandoned exchange (lease expired) restores the previous session and says why', () => {
    const [snapshot] = transition(
      tokenMachine,
      snapshotIn('codeExchange', { tokens: viewTokens }),
      events.LEASE_TAKEN_OVER,
    )
    expect(snapshot.value).toBe('viewOnly')
    expect(snapshot.context.lease).toBeNull()
    expect(snapshot.context.lastError?.code).toBe('TIMEOUT')
  })

  it('a live lease cannot be taken over', () => {
    const live = { ...events.LEASE_TAKEN_OVER, now: NOW + 1_000 }
    for (const state of ['codeExchange', 'refresh'] as const) {
      const before = snapshotIn(state)
      const [after, actions] = transition(tokenMachine, before, live)
      expect(after.value).toBe(state)
      expect(after.context).toBe(before.context)
      expect(actions).toEqual([])
    }
  })

  it('a token with less than the skew left counts as expired; one with more does not', () => {
    const at = (now: number) =>
      transition(tokenMachine, snapshotIn('fullyScoped'), {
        type: 'TIME_ADVANCED',
        now,
        skewMs: 60_000,
      })[0].value
    expect(at(NOW + HOUR - 60_001)).toBe('fullyScoped')
    expect(at(NOW + HOUR - 60_000)).toBe('expired')
  })

  it('REFRESH_STARTED takes the lease and asks for refreshTokens with the newest refresh token', () => {
    const [snapshot, actions] = transition(
      tokenMachine,
      snapshotIn('expired', { tokens: viewTokens }),
      events.REFRESH_STARTED,
    )
    expect(snapshot.context.lease).toEqual(lease)
    expect(actions.map((action) => [action.type, action.params])).toEqual([
      ['refreshTokens', { refreshToken: new Secret('rt_2') }],
    ])
  })

  it('a takeover re-enters refresh with a new lease and the same refresh token', () => {
    const [snapshot, actions] = transition(
      tokenMachine,
      snapshotIn('refresh'),
      events.LEASE_TAKEN_OVER,
    )
    expect(snapshot.context.lease).toEqual({ owner: 'me', until: NOW + 35_000 })
    expect(actions.map((action) => [action.type, action.params])).toEqual([
      ['refreshTokens', { refreshToken: new Secret('rt_1') }],
    ])
  })

  it('REFRESH_SUCCEEDED stores the view-only tokens and releases the lease', () => {
    const [snapshot] = transition(
      tokenMachine,
      snapshotIn('refresh', { lastError: error }),
      events.REFRESH_SUCCEEDED,
    )
    expect(snapshot.context).toEqual({
      tokens: viewTokens,
      lease: null,
      interruptedRefresh: null,
      lastError: null,
    })
  })

  it('a transient refresh failure keeps the refresh token', () => {
    const [snapshot] = transition(tokenMachine, snapshotIn('refresh'), events.REFRESH_FAILED)
    expect(snapshot.value).toBe('expired')
    expect(snapshot.context).toEqual({
      tokens: manageTokens,
      lease: null,
      interruptedRefresh: null,
      lastError: error,
    })
  })

  it('invalid_grant on refresh ends the session and keeps the error', () => {
    const invalidGrant = { code: 'INVALID_GRANT' as const, message: 'revoked', at: NOW }
    const [snapshot] = transition(tokenMachine, snapshotIn('refresh'), {
      type: 'REFRESH_FAILED',
      now: NOW,
      error: invalidGrant,
    })
    expect(snapshot.value).toBe('unauthenticated')
    expect(snapshot.context).toEqual({
      tokens: null,
      lease: null,
      interruptedRefresh: null,
      lastError: invalidGrant,
    })
  })

  it('LOGOUT from every state forgets tokens, lease and error', () => {
    for (const state of Object.keys(expected) as TokenState[]) {
      const [snapshot] = transition(
        tokenMachine,
        snapshotIn(state, { lastError: error }),
        events.LOGOUT,
      )
      expect(snapshot.value).toBe('unauthenticated')
      expect(snapshot.context).toEqual({
        tokens: null,
        lease: null,
        interruptedRefresh: null,
        lastError: null,
      })
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

describe('tokenMachine: a late refresh (its lock lost) keeps the newest rotation', () => {
  const newer: TokenSet = {
    ...viewTokens,
    accessToken: new Secret('at_new'),
    refreshToken: new Secret('rt_new'),
  }
  const late = (spent: string): TokenEvent => ({
    type: 'REFRESH_SUCCEEDED',
    now: NOW,
    tokens: newer,
    spent: new Secret(spent),
  })

  it('in codeExchange it replaces the kept tokens and keeps the login’s lease', () => {
    const before = snapshotIn('codeExchange', { tokens: manageTokens })
    const [after] = transition(tokenMachine, before, late('rt_1'))
    expect(after.value).toBe('codeExchange')
    expect(after.context).toEqual({
      tokens: newer,
      lease: liveLease,
      interruptedRefresh: null,
      lastError: null,
    })
    const [failed] = transition(tokenMachine, after, events.EXCHANGE_FAILED)
    expect(failed.value).toBe('viewOnly')
    expect(failed.context.tokens).toEqual(newer)
  })

  it('from fullyScoped, viewOnly or expired holding the spent token it goes to viewOnly with the new tokens', () => {
    for (const [state, tokens, spent] of [
      ['fullyScoped', manageTokens, 'rt_1'],
      ['viewOnly', viewTokens, 'rt_2'],
      ['expired', manageTokens, 'rt_1'],
    ] as const) {
      const [after] = transition(tokenMachine, snapshotIn(state, { tokens }), late(spent))
      expect(after.value).toBe('viewOnly')
      expect(after.context.tokens).toEqual(newer)
    }
  })

  it('is ignored when the session no longer holds the spent token (a newer login or rotation won)', () => {
    for (const state of ['codeExchange', 'fullyScoped', 'viewOnly', 'expired'] as const) {
      const before = snapshotIn(state, { tokens: manageTokens })
      const [after, actions] = transition(tokenMachine, before, late('rt_other'))
      expect(after.value).toBe(state)
      expect(after.context).toBe(before.context)
      expect(actions).toEqual([])
    }
    const [unauthenticated] = transition(tokenMachine, snapshotIn('unauthenticated'), late('rt_1'))
    expect(unauthenticated.value).toBe('unauthenticated')
  })
})

describe('tokenMachine: a login that starts while a refresh is in flight', () => {
  const refreshLease = { owner: 'refresher', until: NOW + 15_000 }
  const loginLease = { owner: 'login', until: NOW + 15_000 }
  const login: TokenEvent = { ...events.CODE_RECEIVED, lease: loginLease } as TokenEvent
  const interrupted = () => {
    const [exchanging] = transition(
      tokenMachine,
      snapshotIn('refresh', { tokens: manageTokens, lease: refreshLease }),
      login,
    )
    return exchanging
  }

  it('remembers the refresh, whose request still presents the kept refresh token', () => {
    const exchanging = interrupted()
    expect(exchanging.value).toBe('codeExchange')
    expect(exchanging.context.lease).toEqual(loginLease)
    expect(exchanging.context.interruptedRefresh).toEqual(refreshLease)
  })

  it('a failed login hands the session back to that refresh, under its lease', () => {
    const [failed, actions] = transition(tokenMachine, interrupted(), events.EXCHANGE_FAILED)
    expect(failed.value).toBe('refresh')
    expect(failed.context.lease).toEqual(refreshLease)
    expect(failed.context.interruptedRefresh).toBeNull()
    expect(failed.context.tokens).toBe(manageTokens)
    expect(failed.context.lastError).toEqual(error)
    // Nobody presents the kept refresh token again: the refresh in flight still owns it.
    expect(actions).toEqual([])
  })

  it('an abandoned login hands it back too (then the next caller takes the ended lease over)', () => {
    const [taken] = transition(tokenMachine, interrupted(), events.LEASE_TAKEN_OVER)
    expect(taken.value).toBe('refresh')
    expect(taken.context.lease).toEqual(refreshLease)
    expect(taken.context.lastError?.code).toBe('TIMEOUT')
  })

  it('a successful login forgets it (its tokens replace the ones being refreshed)', () => {
    const [done] = transition(tokenMachine, interrupted(), events.EXCHANGE_SUCCEEDED)
    expect(done.value).toBe('fullyScoped')
    expect(done.context).toEqual({
      tokens: manageTokens,
      lease: null,
      interruptedRefresh: null,
      lastError: null,
    })
  })

  it('a second login keeps it; a logout forgets it', () => {
    const [second] = transition(tokenMachine, interrupted(), events.CODE_RECEIVED)
    expect(second.context.interruptedRefresh).toEqual(refreshLease)
    expect(second.context.lease).toEqual(lease)
    const [out] = transition(tokenMachine, interrupted(), events.LOGOUT)
    expect(out.context).toEqual({
      tokens: null,
      lease: null,
      interruptedRefresh: null,
      lastError: null,
    })
  })
})

describe('tokenMachine: a late refresh failure (its lock lost)', () => {
  const refused = (spent: string): TokenEvent => ({
    type: 'REFRESH_FAILED',
    now: NOW,
    error: { code: 'INVALID_GRANT', message: 'refused', at: NOW },
    spent: new Secret(spent),
  })
  const failed = (spent: string): TokenEvent => ({
    type: 'REFRESH_FAILED',
    now: NOW,
    error,
    spent: new Secret(spent),
  })

  it('refused while the session still holds that token: the session ends', () => {
    for (const [state, tokens, spent] of [
      ['fullyScoped', manageTokens, 'rt_1'],
      ['viewOnly', viewTokens, 'rt_2'],
      ['expired', manageTokens, 'rt_1'],
      ['refresh', manageTokens, 'rt_1'],
    ] as const) {
      const [after] = transition(tokenMachine, snapshotIn(state, { tokens }), refused(spent))
      expect(after.value, state).toBe('unauthenticated')
      expect(after.context.tokens, state).toBeNull()
      expect(after.context.lease, state).toBeNull()
      expect(after.context.lastError?.code, state).toBe('INVALID_GRANT')
    }
  })

  it('refused during a login: the kept tokens go, the login goes on under its lease', () => {
    const before = snapshotIn('codeExchange', {
      tokens: manageTokens,
      interruptedRefresh: { owner: 'refresher', until: NOW + 15_000 },
    })
    const [after] = transition(tokenMachine, before, refused('rt_1'))
    expect(after.value).toBe('codeExchange')
    expect(after.context.tokens).toBeNull()
    expect(after.context.lease).toEqual(liveLease)
    expect(after.context.interruptedRefresh).toBeNull()
    const [loginFailed] = transition(tokenMachine, after, events.EXCHANGE_FAILED)
    expect(loginFailed.value).toBe('unauthenticated')
  })

  it('failed otherwise during a login: the login no longer waits for it and falls back to the kept tokens', () => {
    const before = snapshotIn('codeExchange', {
      tokens: manageTokens,
      interruptedRefresh: { owner: 'refresher', until: NOW + 15_000 },
    })
    const [after] = transition(tokenMachine, before, failed('rt_1'))
    expect(after.context.tokens).toBe(manageTokens)
    expect(after.context.interruptedRefresh).toBeNull()
    const [loginFailed] = transition(tokenMachine, after, events.EXCHANGE_FAILED)
    expect(loginFailed.value).toBe('fullyScoped')
  })

  it('is ignored when not a refusal outside a login, or when the session holds another token', () => {
    for (const state of ['fullyScoped', 'expired', 'refresh'] as const) {
      const before = snapshotIn(state, { tokens: manageTokens })
      // A late 5xx says nothing about the attempt now holding the lease.
      const [afterFailure] = transition(tokenMachine, before, failed('rt_1'))
      expect(afterFailure.value, state).toBe(state)
      expect(afterFailure.context, state).toBe(before.context)
      const [afterOther] = transition(tokenMachine, before, refused('rt_other'))
      expect(afterOther.value, state).toBe(state)
      expect(afterOther.context, state).toBe(before.context)
    }
  })
})

describe('tokenMachine: taking a lease over', () => {
  const early = { type: 'LEASE_TAKEN_OVER', now: NOW, lease } as const

  it('is refused while the lease is live by the taker’s clock', () => {
    const before = snapshotIn('refresh')
    const [after, actions] = transition(tokenMachine, before, early)
    expect(after.context).toBe(before.context)
    expect(actions).toEqual([])
  })

  it('is allowed when the taker watched the lease outlive a whole leaseMs (the holder’s clock runs ahead)', () => {
    const [after, actions] = transition(tokenMachine, snapshotIn('refresh'), {
      ...early,
      outlived: true,
    })
    expect(after.value).toBe('refresh')
    expect(after.context.lease).toEqual(lease)
    expect(actions.map((action) => action.type)).toEqual(['refreshTokens'])
  })
})
