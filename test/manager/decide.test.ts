// decide(): the pure answer to "what should a caller that wants a token do next", as a table:
// every state, with and without the conditions that change the answer (manage callers, a token
// Bolt refused, a caller that already waited, a live, dead or outlived lease, unsaved tokens).
import { describe, expect, it } from 'vitest'
import type { Lease, TokenContext, TokenState } from '../../src/machine/token-machine.js'
import { tokenMachine } from '../../src/machine/token-machine.js'
import type { TokenSet } from '../../src/machine/token-set.js'
import { type Decision, decide, type Need, stateAt } from '../../src/manager/decide.js'
import { Secret } from '../../src/secret.js'
import { manageTokens, NOW } from '../support/token-sets.js'

const SKEW = 60_000
const fresh: TokenSet = manageTokens
// Expires within the skew: counts as expired.
const stale: TokenSet = { ...fresh, accessToken: new Secret('at_stale'), expiresAt: NOW + SKEW }
const view: TokenSet = {
  ...fresh,
  accessToken: new Secret('at_view'),
  scopes: ['bolt.account.view'],
}
const unsaved: TokenSet = { ...view, accessToken: new Secret('at_unsaved') }
const other: Lease = { owner: 'other', until: NOW + 15_000 }
const dead: Lease = { owner: 'other', until: NOW - 1 }
const mine: Lease = { owner: 'me', until: NOW + 15_000 }
const refused = { code: 'INVALID_GRANT' as const, message: 'refused', at: NOW }
const failed = { code: 'SERVER_ERROR' as const, message: 'down', at: NOW }

function snapshot(value: TokenState, context: Partial<TokenContext>) {
  return tokenMachine.resolveState({
    value,
    context: { ...(tokenMachine.config.context as TokenContext), ...context },
  })
}

/** A decision with its error reduced to its code, so that rows can state it exactly. */
function answer(decision: Decision) {
  if (decision.kind === 'error') return { kind: 'error', code: decision.error.code }
  if (decision.kind === 'token') return { kind: 'token', accessToken: decision.tokens.accessToken }
  return decision
}

const base: Need = { mayRefresh: true, waited: false, skewMs: SKEW, lease: mine, leaseNow: NOW }
const timeAdvanced = { type: 'TIME_ADVANCED', now: NOW, skewMs: SKEW }
const refreshStarted = { type: 'REFRESH_STARTED', now: NOW, lease: mine }

const rows: [string, TokenState, Partial<TokenContext>, Partial<Need>, unknown][] = [
  ['no session', 'unauthenticated', {}, {}, { kind: 'error', code: 'NOT_AUTHENTICATED' }],
  [
    'ended by a refused refresh, not waited',
    'unauthenticated',
    { lastError: refused },
    {},
    { kind: 'error', code: 'NOT_AUTHENTICATED' },
  ],
  [
    'ended by a refused refresh this caller waited for',
    'unauthenticated',
    { lastError: refused },
    { waited: true },
    { kind: 'error', code: 'INVALID_GRANT' },
  ],
  [
    'fresh manage token',
    'fullyScoped',
    { tokens: fresh },
    {},
    { kind: 'token', accessToken: fresh.accessToken },
  ],
  [
    'fresh view token',
    'viewOnly',
    { tokens: view },
    {},
    { kind: 'token', accessToken: view.accessToken },
  ],
  [
    'fresh token, manage caller (scope is checked by the caller)',
    'viewOnly',
    { tokens: view },
    { mayRefresh: false },
    { kind: 'token', accessToken: view.accessToken },
  ],
  [
    'stale token',
    'fullyScoped',
    { tokens: stale },
    {},
    { kind: 'send', events: [timeAdvanced, refreshStarted] },
  ],
  [
    'stale token, manage caller',
    'viewOnly',
    { tokens: stale },
    { mayRefresh: false },
    { kind: 'error', code: 'SCOPE_REQUIRED' },
  ],
  [
    'fresh token Bolt refused',
    'fullyScoped',
    { tokens: fresh },
    { rejected: 'at_manage' },
    {
      kind: 'send',
      events: [{ type: 'ACCESS_TOKEN_REJECTED', now: NOW }, refreshStarted],
    },
  ],
  [
    'fresh token Bolt refused, manage caller: recorded, no refresh',
    'fullyScoped',
    { tokens: fresh },
    { rejected: 'at_manage', mayRefresh: false },
    { kind: 'send', events: [{ type: 'ACCESS_TOKEN_REJECTED', now: NOW }] },
  ],
  [
    'fresh token, another one refused',
    'fullyScoped',
    { tokens: fresh },
    { rejected: 'at_older' },
    { kind: 'token', accessToken: fresh.accessToken },
  ],
  ['expired', 'expired', { tokens: stale }, {}, { kind: 'send', events: [refreshStarted] }],
  [
    'expired, manage caller',
    'expired',
    { tokens: stale },
    { mayRefresh: false },
    { kind: 'error', code: 'SCOPE_REQUIRED' },
  ],
  [
    'expired after a failed refresh this caller waited for',
    'expired',
    { tokens: stale, lastError: failed },
    { waited: true },
    { kind: 'error', code: 'SERVER_ERROR' },
  ],
  [
    'expired after a failed refresh, not waited: try again',
    'expired',
    { tokens: stale, lastError: failed },
    {},
    { kind: 'send', events: [refreshStarted] },
  ],
  [
    'refresh under a live lease',
    'refresh',
    { tokens: stale, lease: other },
    {},
    { kind: 'wait', lease: other },
  ],
  [
    'refresh, manage caller',
    'refresh',
    { tokens: stale, lease: other },
    { mayRefresh: false },
    { kind: 'error', code: 'SCOPE_REQUIRED' },
  ],
  [
    'refresh under a dead lease',
    'refresh',
    { tokens: stale, lease: dead },
    {},
    {
      kind: 'send',
      events: [{ type: 'LEASE_TAKEN_OVER', now: NOW, lease: mine }],
      takeover: 'expired',
    },
  ],
  [
    "refresh under a lease live by the store's clock, though ended by this caller's",
    'refresh',
    { tokens: stale, lease: { ...other, until: NOW - 3_600_000 } },
    { leaseNow: NOW - 3_600_000 - 1_000 },
    { kind: 'wait', lease: { ...other, until: NOW - 3_600_000 } },
  ],
  [
    "refresh under a lease ended by the store's clock, though live by this caller's",
    'refresh',
    { tokens: stale, lease: other },
    { leaseNow: other.until + 1 },
    {
      kind: 'send',
      events: [{ type: 'LEASE_TAKEN_OVER', now: NOW, lease: mine }],
      takeover: 'expired',
    },
  ],
  [
    'refresh under a lease this caller outlived',
    'refresh',
    { tokens: stale, lease: other },
    { outlived: other },
    {
      kind: 'send',
      events: [{ type: 'LEASE_TAKEN_OVER', now: NOW, lease: mine, outlived: true }],
      takeover: 'outlived',
    },
  ],
  [
    'refresh under a newer lease than the one outlived',
    'refresh',
    { tokens: stale, lease: other },
    { outlived: { ...other, until: other.until - 1 } },
    { kind: 'wait', lease: other },
  ],
  [
    'refresh whose tokens this instance could not save',
    'refresh',
    { tokens: stale, lease: mine },
    { unsaved: { event: 'REFRESH_SUCCEEDED', tokens: unsaved } },
    {
      kind: 'send',
      events: [{ type: 'REFRESH_SUCCEEDED', now: NOW, tokens: unsaved }],
      saves: unsaved,
    },
  ],
  [
    'refresh under the lease this caller just tried to take (its write landed, reported fenced)',
    'refresh',
    { tokens: stale, lease: mine },
    { attempted: mine },
    { kind: 'holding', lease: mine },
  ],
  [
    'refresh, unsaved login tokens are not for it',
    'refresh',
    { tokens: stale, lease: other },
    { unsaved: { event: 'EXCHANGE_SUCCEEDED', tokens: unsaved } },
    { kind: 'wait', lease: other },
  ],
  [
    'login under a live lease',
    'codeExchange',
    { lease: other },
    {},
    { kind: 'wait', lease: other },
  ],
  [
    'login under a live lease, manage caller waits too',
    'codeExchange',
    { lease: other },
    { mayRefresh: false },
    { kind: 'wait', lease: other },
  ],
  [
    'login under a dead lease',
    'codeExchange',
    { lease: dead },
    { mayRefresh: false },
    {
      kind: 'send',
      events: [{ type: 'EXCHANGE_ABANDONED', now: NOW }],
      takeover: 'expired',
    },
  ],
  [
    'login under a lease this caller outlived',
    'codeExchange',
    { lease: other },
    { outlived: other, mayRefresh: false },
    {
      kind: 'send',
      events: [{ type: 'EXCHANGE_ABANDONED', now: NOW, outlived: true }],
      takeover: 'outlived',
    },
  ],
  [
    'login, unsaved refresh tokens are not for it',
    'codeExchange',
    { lease: other },
    { unsaved: { event: 'REFRESH_SUCCEEDED', tokens: unsaved } },
    { kind: 'wait', lease: other },
  ],
  [
    'login whose tokens this instance could not save (a manage caller saves them too)',
    'codeExchange',
    { lease: mine },
    { unsaved: { event: 'EXCHANGE_SUCCEEDED', tokens: unsaved }, mayRefresh: false },
    {
      kind: 'send',
      events: [{ type: 'EXCHANGE_SUCCEEDED', now: NOW, tokens: unsaved }],
      saves: unsaved,
    },
  ],
]

describe('decide(snapshot, now, need)', () => {
  it.each(rows)('%s', (_, state, context, need, expected) => {
    expect(answer(decide(snapshot(state, context), NOW, { ...base, ...need }))).toEqual(expected)
  })
})

describe('stateAt: the one freshness rule', () => {
  it.each([
    ['fullyScoped', 'fresh', fresh, 'fullyScoped'],
    ['fullyScoped', 'stale', stale, 'expired'],
    ['viewOnly', 'fresh', view, 'viewOnly'],
    ['viewOnly', 'stale', stale, 'expired'],
    ['fullyScoped', 'no', null, 'fullyScoped'],
    ['refresh', 'fresh', fresh, 'refresh'],
    ['expired', 'fresh', fresh, 'expired'],
    ['unauthenticated', 'no', null, 'unauthenticated'],
  ] as const)('%s with %s tokens → %s', (state, _, tokens, expected) => {
    expect(stateAt(state, tokens, NOW, SKEW)).toBe(expected)
  })

  it('a token is stale exactly when no more than the skew is left', () => {
    expect(stateAt('viewOnly', { expiresAt: NOW + SKEW + 1 }, NOW, SKEW)).toBe('viewOnly')
    expect(stateAt('viewOnly', { expiresAt: NOW + SKEW }, NOW, SKEW)).toBe('expired')
  })
})
