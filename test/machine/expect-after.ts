/**
 * `expectAfter(state, event, …)`: the machine tests' one assertion. It feeds one event to a
 * session in a state and checks the whole outcome: the state it ends in, its context (given
 * as what changed), and the side effects it asks for.
 */
import { expect } from 'vitest'
import { transition } from 'xstate'
import {
  type TokenContext,
  type TokenEvent,
  type TokenState,
  tokenMachine,
} from '../../src/machine/token-machine.js'
import type { TokenSnapshot } from '../../src/manager/session-record.js'
import { manageTokens, NOW, viewTokens } from '../support/token-sets.js'

/** The lease another instance holds in the default `codeExchange` and `refresh` sessions. */
export const liveLease = { owner: 'other', until: NOW + 15_000 }

const noContext: TokenContext = {
  tokens: null,
  lease: null,
  interruptedRefresh: null,
  interruptedLogin: null,
  lastError: null,
}

/** What a session in each state holds unless a test says otherwise. */
const defaults: Record<TokenState, TokenContext> = {
  unauthenticated: noContext,
  codeExchange: { ...noContext, lease: liveLease },
  fullyScoped: { ...noContext, tokens: manageTokens },
  expired: { ...noContext, tokens: manageTokens },
  refresh: { ...noContext, tokens: manageTokens, lease: liveLease },
  viewOnly: { ...noContext, tokens: viewTokens },
}

/** A session in `state`, holding the state's defaults overridden by `context`. */
export function sessionIn(state: TokenState, context: Partial<TokenContext> = {}): TokenSnapshot {
  return tokenMachine.resolveState({ value: state, context: { ...defaults[state], ...context } })
}

/** The side effects a transition asks the manager for, as `[name, params]`. */
export type SideEffect = [string, unknown]

/** What {@link expectAfter} checks. */
export interface Outcome {
  /** The state the session ends in. */
  state: TokenState
  /** What changed in the context; everything else must be as before. */
  changes?: Partial<TokenContext>
  /** The side effects asked for, in order. @default [] */
  effects?: SideEffect[]
}

/** Where the session may start from: a state (with its defaults) or a snapshot. */
export type Start = TokenState | TokenSnapshot

function resolve(start: Start, context: Partial<TokenContext>): TokenSnapshot {
  return typeof start === 'string' ? sessionIn(start, context) : start
}

/**
 * Feeds `event` to a session in `start` (a state with its defaults and `context`, or a
 * snapshot) and expects `outcome`: the state, the whole context (the one before with
 * `changes` applied), and the side effects. Returns the snapshot after, to go on from.
 */
export function expectAfter(
  start: Start,
  event: TokenEvent,
  outcome: Outcome,
  context: Partial<TokenContext> = {},
): TokenSnapshot {
  const before = resolve(start, context)
  const [after, actions] = transition(tokenMachine, before, event)
  const label = `${String(before.value)} + ${event.type}`
  expect(after.value, label).toBe(outcome.state)
  expect(after.context, label).toEqual({ ...before.context, ...outcome.changes })
  expect(effectsOf(actions), label).toEqual(outcome.effects ?? [])
  return after
}

/** Expects `event` to be ignored: same state, the very same context, no side effects. */
export function expectIgnored(
  start: Start,
  event: TokenEvent,
  context: Partial<TokenContext> = {},
): void {
  const before = resolve(start, context)
  const [after, actions] = transition(tokenMachine, before, event)
  const label = `${String(before.value)} ignores ${event.type}`
  expect(after.value, label).toBe(before.value)
  expect(after.context, label).toBe(before.context)
  expect(actions, label).toEqual([])
}

/** The machine's own side effects; XState's bookkeeping (e.g. `xstate.raise`) is left out. */
function effectsOf(actions: { type: string; params?: unknown }[]): SideEffect[] {
  return actions
    .filter((action) => !action.type.startsWith('xstate.'))
    .map((action) => [action.type, action.params])
}
