/**
 * The token machine as a test model: which concrete events to try in each state, how to
 * tell abstract states apart, the paths that exercise every transition, and the list of
 * transitions to cover — all computed from `tokenMachine` itself.
 *
 * @module
 */

import { type AnyTransitionDefinition, initialTransition, transition } from 'xstate'
import { createTestModel, type TestModel, type TestPath } from 'xstate/graph'
import type { ErrorCode } from '../errors.js'
import type { TokenEvent, TokenState } from '../machine/token-machine.js'
import { isSingleCallerTransition, tokenMachine } from '../machine/token-machine.js'
import {
  canManage,
  SCOPE_MANAGE,
  SCOPE_OPENID,
  SCOPE_VIEW,
  type TokenSet,
} from '../machine/token-set.js'
import type { TokenSnapshot } from '../manager/session-record.js'
import { Secret } from '../secret.js'

/**
 * A test model of {@link tokenMachine}.
 * @group Testing
 */
export type LifecycleTestModel = TestModel<TokenSnapshot, TokenEvent, unknown>
/**
 * One generated path through the lifecycle.
 * @group Testing
 */
export type LifecyclePath = TestPath<TokenSnapshot, TokenEvent>

const MODEL_START = 1_700_000_000_000
const HOUR = 3_600_000
const MODEL_LEASE_MS = 15_000

function modelTokens(now: number, scopes: string[]): TokenSet {
  return {
    accessToken: new Secret('model-access-token'),
    refreshToken: new Secret('model-refresh-token'),
    scopes,
    expiresAt: now + HOUR,
    obtainedAt: now,
  }
}

/** The model's notion of "now" in a state: the latest moment its context mentions. */
function modelNow(snapshot: TokenSnapshot): number {
  const { tokens, lease, lastError } = snapshot.context
  return Math.max(
    MODEL_START,
    tokens?.obtainedAt ?? 0,
    lease === null ? 0 : lease.until - MODEL_LEASE_MS,
    lastError?.at ?? 0,
  )
}

/**
 * The concrete events worth trying in a state: one per transition the machine can take
 * from it (including both outcomes of every guarded choice). Model time is abstract: each
 * event carries a `now` that makes its guard true.
 * @group Testing
 */
export function lifecycleEvents(snapshot: TokenSnapshot): TokenEvent[] {
  const now = modelNow(snapshot) + 1
  const lease = { owner: 'model', until: now + MODEL_LEASE_MS }
  const { tokens, lease: held, interruptedLogin } = snapshot.context
  const events: TokenEvent[] = [
    {
      type: 'CODE_RECEIVED',
      now,
      lease,
      code: new Secret('model-code'),
      scope: `${SCOPE_MANAGE} ${SCOPE_OPENID}`,
    },
    { type: 'LOGOUT', now },
  ]
  const failure = (code: ErrorCode) => ({ code, message: 'model failure', at: now })
  // The holder's lease has ended: another instance (model-2) finds it so.
  const leaseEndedAt = (held?.until ?? now) + 1
  const takeover: TokenEvent = {
    type: 'LEASE_TAKEN_OVER',
    now: leaseEndedAt,
    lease: { owner: 'model-2', until: leaseEndedAt + MODEL_LEASE_MS },
  }
  switch (snapshot.value as TokenState) {
    case 'codeExchange':
      events.push(
        { type: 'EXCHANGE_SUCCEEDED', now, tokens: modelTokens(now, [SCOPE_MANAGE, SCOPE_OPENID]) },
        { type: 'EXCHANGE_SUCCEEDED', now, tokens: modelTokens(now, [SCOPE_VIEW, SCOPE_OPENID]) },
        { type: 'EXCHANGE_FAILED', now, error: failure('SERVER_ERROR') },
      )
      if (interruptedLogin === null) {
        events.push({ type: 'EXCHANGE_ABANDONED', now: leaseEndedAt })
      } else {
        // The older login this one interrupted comes back (two tabs, two instances). (An
        // abandoned login is tried without one: past a newer lease, the older one is dead too.)
        events.push(
          {
            type: 'LATE_EXCHANGE_SUCCEEDED',
            now,
            tokens: modelTokens(now, [SCOPE_MANAGE, SCOPE_OPENID]),
            lease: interruptedLogin,
          },
          {
            type: 'LATE_EXCHANGE_FAILED',
            now,
            error: failure('SERVER_ERROR'),
            lease: interruptedLogin,
          },
        )
      }
      break
    case 'fullyScoped':
    case 'viewOnly':
      events.push(
        { type: 'TIME_ADVANCED', now: Math.max(now, tokens?.expiresAt ?? now), skewMs: 0 },
        { type: 'ACCESS_TOKEN_REJECTED', now },
      )
      break
    case 'expired':
      events.push({ type: 'REFRESH_STARTED', now, lease })
      break
    case 'refresh':
      events.push(
        { type: 'REFRESH_SUCCEEDED', now, tokens: modelTokens(now, [SCOPE_VIEW]) },
        { type: 'REFRESH_FAILED', now, error: failure('SERVER_ERROR') },
        { type: 'REFRESH_FAILED', now, error: failure('INVALID_GRANT') },
        takeover,
      )
      break
    case 'unauthenticated':
      break
  }
  return events
}

/**
 * Tells abstract states apart: the machine state and what the session holds (manage
 * tokens, view tokens, none). Times and token values are left out, so the graph is finite.
 * @group Testing
 */
export function serializeLifecycleState(snapshot: TokenSnapshot): string {
  const { tokens, interruptedRefresh, interruptedLogin } = snapshot.context
  const holds = tokens === null ? 'none' : canManage(tokens) ? 'manage' : 'view'
  const refresh = interruptedRefresh === null ? '' : '|refresh interrupted'
  const login = interruptedLogin === null ? '' : '|login interrupted'
  return `${String(snapshot.value)}|${holds}${refresh}${login}`
}

/**
 * Names a concrete event by what distinguishes it (the outcome of guarded choices).
 * @group Testing
 */
export function describeLifecycleEvent(event: TokenEvent): string {
  switch (event.type) {
    case 'EXCHANGE_SUCCEEDED':
      return canManage(event.tokens) ? 'EXCHANGE_SUCCEEDED(manage)' : 'EXCHANGE_SUCCEEDED(view)'
    case 'EXCHANGE_FAILED':
    case 'REFRESH_FAILED':
    case 'LATE_REFRESH_FAILED':
    case 'LATE_EXCHANGE_FAILED': {
      // The graph also tries each accepted event type bare (without a payload).
      const code = (event as Partial<typeof event>).error?.code
      return code === undefined ? event.type : `${event.type}(${code})`
    }
    default:
      return event.type
  }
}

/**
 * A late refresh: one that lost its lease (a login started, or another instance took the
 * lease over) comes back with the tokens the refresh token it spent rotated into.
 */
function lateRefresh(snapshot: TokenSnapshot): TokenEvent {
  const now = modelNow(snapshot) + 1
  const spent = snapshot.context.tokens?.refreshToken ?? new Secret('model-refresh-token')
  return { type: 'LATE_REFRESH_SUCCEEDED', now, tokens: modelTokens(now, [SCOPE_VIEW]), spent }
}

/** A refresh that lost its lease comes back refused (`invalid_grant`) or failed (a 5xx). */
function lateFailure(snapshot: TokenSnapshot, code: ErrorCode): TokenEvent {
  const now = modelNow(snapshot) + 1
  const spent = snapshot.context.tokens?.refreshToken ?? new Secret('model-refresh-token')
  const error = { code, message: 'model failure', at: now }
  return { type: 'LATE_REFRESH_FAILED', now, error, spent }
}

/**
 * The late-refresh transitions need a refresh still in flight from an earlier step, which
 * a traversal over states cannot know about; these paths set one up on purpose. Each item
 * names the events by {@link describeLifecycleEvent}; `LATE` is the late refresh,
 * `LATE_REFUSED` and `LATE_FAILED` its late failures.
 */
const LATE = 'LATE_REFRESH_SUCCEEDED'
const LATE_REFUSED = 'LATE_REFRESH_FAILED(INVALID_GRANT)'
const LATE_FAILED = 'LATE_REFRESH_FAILED(SERVER_ERROR)'
const lateEvents: Record<string, (snapshot: TokenSnapshot) => TokenEvent> = {
  [LATE]: lateRefresh,
  [LATE_REFUSED]: (snapshot) => lateFailure(snapshot, 'INVALID_GRANT'),
  [LATE_FAILED]: (snapshot) => lateFailure(snapshot, 'SERVER_ERROR'),
}
/** A session logged in with (or without) manage, expired, with a refresh in flight. */
const refreshing = (grant: 'manage' | 'view') => [
  'CODE_RECEIVED',
  `EXCHANGE_SUCCEEDED(${grant})`,
  'TIME_ADVANCED',
  'REFRESH_STARTED',
]
const expiredManageSession = refreshing('manage')
/**
 * The first refresh's lease is taken over; the taker is interrupted by a login and fails
 * (5xx); the login fails and falls back to the kept tokens (fullyScoped / viewOnly).
 */
const takenOverThenLoginFails = [
  'LEASE_TAKEN_OVER',
  'CODE_RECEIVED',
  LATE_FAILED,
  'EXCHANGE_FAILED(SERVER_ERROR)',
]
const lateRefreshScenarios: string[][] = [
  // A login starts while a refresh is in flight; the refresh comes back, then the login fails.
  [...expiredManageSession, 'CODE_RECEIVED', LATE, 'EXCHANGE_FAILED(SERVER_ERROR)'],
  // The login fails first (the refresh it interrupted resumes its lease), then the refresh
  // comes back under its lease.
  ...(['manage', 'view'] as const).map((grant) => [
    ...refreshing(grant),
    'CODE_RECEIVED',
    'EXCHANGE_FAILED(SERVER_ERROR)',
    'REFRESH_SUCCEEDED',
  ]),
  // The lease was taken over and the taker's attempt failed; the first refresh comes back.
  [...expiredManageSession, 'LEASE_TAKEN_OVER', 'REFRESH_FAILED(SERVER_ERROR)', LATE],
  // After takenOverThenLoginFails, the first refresh comes back with the newest rotation, or
  // is refused: nobody may present that token again.
  ...(['manage', 'view'] as const).flatMap((grant) =>
    [LATE, LATE_REFUSED].map((outcome) => [
      ...refreshing(grant),
      ...takenOverThenLoginFails,
      outcome,
    ]),
  ),
  // A login starts while a refresh is in flight; Bolt refuses the refresh: the kept tokens
  // are dead, the login goes on, and if it fails the shopper is logged out.
  [...expiredManageSession, 'CODE_RECEIVED', LATE_REFUSED, 'EXCHANGE_FAILED(SERVER_ERROR)'],
  [...expiredManageSession, 'CODE_RECEIVED', LATE_REFUSED, 'EXCHANGE_SUCCEEDED(manage)'],
  // ...or fails (5xx): the login's failure falls back to the kept tokens.
  [...expiredManageSession, 'CODE_RECEIVED', LATE_FAILED, 'EXCHANGE_FAILED(SERVER_ERROR)'],
  // A taken-over refresh refused after the taker's 5xx left the session expired.
  [...expiredManageSession, 'LEASE_TAKEN_OVER', 'REFRESH_FAILED(SERVER_ERROR)', LATE_REFUSED],
  // A taken-over refresh comes back while the taker still holds the lease: its rotation is
  // the newest (or its refusal ends the session) whatever the taker is presenting.
  [...expiredManageSession, 'LEASE_TAKEN_OVER', LATE],
  [...expiredManageSession, 'LEASE_TAKEN_OVER', LATE_REFUSED],
]

function scenarioEvents(names: string[]): TokenEvent[] {
  let [snapshot] = initialTransition(tokenMachine)
  const events: TokenEvent[] = []
  for (const name of names) {
    const late = lateEvents[name]
    const event =
      late !== undefined
        ? late(snapshot)
        : lifecycleEvents(snapshot).find((candidate) => describeLifecycleEvent(candidate) === name)
    if (event === undefined) throw new Error(`no ${name} from ${String(snapshot.value)}`)
    events.push(event)
    ;[snapshot] = transition(tokenMachine, snapshot, event)
  }
  return events
}

/**
 * Creates the test model of {@link tokenMachine}.
 * @group Testing
 */
export function createLifecycleTestModel(): LifecycleTestModel {
  return createTestModel(tokenMachine, {
    events: lifecycleEvents,
    serializeState: serializeLifecycleState,
    serializeEvent: (event) => describeLifecycleEvent(event as TokenEvent),
  }) as unknown as LifecycleTestModel
}

/**
 * Paths that together take every transition of the machine at least once: the shortest
 * path to each abstract state, extended by each event that state accepts. (Shortest paths
 * alone reach every state but skip self-transitions and any transition into a state
 * already reached another way.)
 * @group Testing
 */
export function lifecyclePaths(
  model: LifecycleTestModel = createLifecycleTestModel(),
): LifecyclePath[] {
  const byDescription = new Map<string, LifecyclePath>()
  for (const path of model.getShortestPaths({ allowDuplicatePaths: true })) {
    const prefix = path.steps.map((step) => step.event)
    for (const event of lifecycleEvents(path.state)) {
      for (const extended of model.getPathsFromEvents([...prefix, event], {
        allowDuplicatePaths: true,
      })) {
        const key = extended.steps.map((step) => describeLifecycleEvent(step.event)).join(' → ')
        if (!byDescription.has(key)) byDescription.set(key, extended)
      }
    }
  }
  for (const scenario of lateRefreshScenarios) {
    for (const path of model.getPathsFromEvents(scenarioEvents(scenario), {
      allowDuplicatePaths: true,
    })) {
      byDescription.set(
        path.steps.map((step) => describeLifecycleEvent(step.event)).join(' → '),
        path,
      )
    }
  }
  return [...byDescription.values()].sort((a, b) => a.steps.length - b.steps.length)
}

/**
 * Whether one caller on one backend instance can take `path`: none of its steps takes a
 * transition that only concurrency causes (a crashed instance's lease, a login during a
 * refresh, a late answer). A merchant's integration test that drives one instance keeps these.
 * @group Testing
 */
export function isSingleCallerPath(path: LifecyclePath): boolean {
  return path.steps.every((step, index) => {
    const before = path.steps[index - 1]?.state
    if (before === undefined) return true
    const [taken] = tokenMachine.getTransitionData(before, step.event)
    return taken === undefined || isSingleCallerTransition(taken)
  })
}

/**
 * One transition of the machine: taking `transition` from the atomic state `from`.
 * @group Testing
 */
export interface LifecycleTransition {
  /** e.g. `refresh --REFRESH_FAILED [sessionEnded]--> unauthenticated` */
  id: string
  from: TokenState
  event: TokenEvent['type']
  to: TokenState
}

function guardName(transition: AnyTransitionDefinition): string {
  const guard = transition.guard as unknown
  if (guard === undefined) return ''
  if (typeof guard === 'string') return guard
  if (typeof guard === 'object' && guard !== null && 'type' in guard)
    return String((guard as { type: unknown }).type)
  if (typeof guard === 'function') {
    const check = guard as { check?: unknown; guards?: unknown[] }
    if (Array.isArray(check.guards))
      return check.guards
        .map((inner) => (typeof inner === 'string' ? inner : 'guard'))
        .join(' and ')
    return (guard as { name?: string }).name || 'guard'
  }
  return 'guard'
}

function describeTransition(
  from: TokenState,
  transition: AnyTransitionDefinition,
  index: number,
): LifecycleTransition {
  const target = (transition.target?.[0]?.key ?? from) as TokenState
  const guard = guardName(transition)
  const event = transition.eventType as TokenEvent['type']
  return {
    id: `${from} --${event}${guard === '' ? '' : ` [${guard}]`}#${index}--> ${target}`,
    from,
    event,
    to: target,
  }
}

/**
 * Guards that ask about the refresh token the session keeps. `unauthenticated` keeps none
 * (the model test checks it in every state the model reaches), so a top-level transition
 * with one of these guards can never be taken from there and is no coverage target.
 */
const KEPT_TOKEN_GUARDS = /\b(holdsSpentRefreshToken|holdsRejectedRefreshToken)\b/

/**
 * Every transition of the machine, computed from its definition: top-level ones once per
 * state, except those guarded on kept tokens from `unauthenticated`, which keeps none.
 * @group Testing
 */
export function lifecycleTransitions(): LifecycleTransition[] {
  const all: LifecycleTransition[] = []
  for (const [stateName, node] of Object.entries(tokenMachine.root.states)) {
    const eventTypes = new Set([
      ...node.transitions.keys(),
      ...tokenMachine.root.transitions.keys(),
    ])
    for (const eventType of [...eventTypes].sort()) {
      const candidates =
        node.transitions.get(eventType) ?? tokenMachine.root.transitions.get(eventType) ?? []
      candidates.forEach((transition, index) => {
        const inherited = !node.transitions.has(eventType)
        const guard = guardName(transition)
        if (inherited && stateName === 'unauthenticated' && KEPT_TOKEN_GUARDS.test(guard)) return
        all.push(describeTransition(stateName as TokenState, transition, index))
      })
    }
  }
  return all
}

/**
 * The transition `event` takes from `snapshot`, or `undefined` when the event is ignored.
 * @group Testing
 */
export function transitionTaken(
  snapshot: TokenSnapshot,
  event: TokenEvent,
): LifecycleTransition | undefined {
  const [taken] = tokenMachine.getTransitionData(snapshot, event)
  if (taken === undefined) return undefined
  const from = snapshot.value as TokenState
  const node = tokenMachine.root.states[from]
  const candidates =
    node?.transitions.get(event.type) ?? tokenMachine.root.transitions.get(event.type) ?? []
  return describeTransition(from, taken, candidates.indexOf(taken))
}

/**
 * The six states, from the machine.
 * @group Testing
 */
export function lifecycleStates(): TokenState[] {
  return Object.keys(tokenMachine.root.states) as TokenState[]
}
