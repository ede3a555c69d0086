/**
 * The machine's side effects, run by name. The machine only names them (`exchangeCode`,
 * `refreshTokens`) on the transition that persists the lease; once that transition is
 * committed, {@link dispatch} hands each named action's parameters to the code that talks to
 * Bolt, and {@link createTokenRequester} makes that one call and reports it.
 *
 * @module
 */
import { type BoltTokenError, requestNotSent, toBoltTokenError } from '../errors.js'
import type { ExchangeCodeParams, Lease } from '../machine/token-machine.js'
import type { TokenSet } from '../machine/token-set.js'
import type { TokenEndpoint } from '../oauth/token-endpoint.js'
import type { TokenGrant } from '../oauth/token-request.js'
import type { Secret } from '../secret.js'
import type { LifecycleEvent } from './lifecycle-events.js'
import type { MachineActions } from './machine-step.js'
import type { ResolvedOptions } from './options.js'
import type { RequestGate } from './request-gate.js'

/** The parameters of each action the machine asks the manager to run. */
export interface ActionParams {
  exchangeCode: ExchangeCodeParams
  refreshTokens: { refreshToken: Secret | null }
}

/** What runs each action; a caller names the actions it expects. */
export type ActionHandlers<R> = { [Name in keyof ActionParams]?: (params: ActionParams[Name]) => R }

/**
 * Runs the first of `actions` that `handlers` names and returns its result; `undefined` when
 * the transitions asked for none of them (nothing to do: the caller re-reads).
 */
export function dispatch<R>(actions: MachineActions, handlers: ActionHandlers<R>): R | undefined {
  for (const action of actions) {
    const exchangeCode = paramsOf(action, 'exchangeCode')
    if (exchangeCode !== undefined && handlers.exchangeCode !== undefined) {
      return handlers.exchangeCode(exchangeCode)
    }
    const refreshTokens = paramsOf(action, 'refreshTokens')
    if (refreshTokens !== undefined && handlers.refreshTokens !== undefined) {
      return handlers.refreshTokens(refreshTokens)
    }
  }
  return undefined
}

/**
 * The parameters of `action` when it is the action `name`. XState types its built-in
 * actions' `type` as any string, which keeps TypeScript from narrowing `params` by name: the
 * machine's action parameter types are restated in {@link ActionParams} and applied here only.
 */
function paramsOf<Name extends keyof ActionParams>(
  action: MachineActions[number],
  name: Name,
): ActionParams[Name] | undefined {
  return action.type === name ? (action.params as ActionParams[Name]) : undefined
}

/** What {@link createTokenRequester} needs. */
export interface TokenRequesterDeps {
  options: ResolvedOptions
  endpoint: TokenEndpoint
  /** The manager's one safe emit: it never throws. */
  emit: (event: LifecycleEvent) => void
  /** Widened again as Bolt answers (see request-gate.ts; Bolt's pushback pauses it). */
  gate: Pick<RequestGate, 'answered'>
}

/** The outcome of one token request: Bolt's tokens, or the error it ended with. */
export type TokenAnswer = { tokens: TokenSet } | { error: BoltTokenError }

/** Under what a request is sent: the lease it holds, and what the write that took it cost. */
export interface RequestLease {
  lease: Lease | null
  /** How long the write that took the lease took (ms): the write after the answer may take as long. */
  writeMs: number
  /** What is left of the caller's own deadline (ms), if it has one. */
  deadlineLeftMs?: number
}

/**
 * Creates the function that sends one token request (with the endpoint's retries) and reports
 * it. The request and its retries must end, and their answer be saved, before the lease does:
 * its budget is what is left of the lease (and of the caller's deadline) less one more write
 * like the one that took the lease. A budget that cannot hold one whole attempt (`timeoutMs`)
 * sends nothing (DESIGN §5: a holder that cannot finish inside its lease does not start).
 */
export function createTokenRequester({ options, endpoint, emit, gate }: TokenRequesterDeps) {
  return async function requestTokens(
    sessionId: string,
    grant: TokenGrant,
    previous: TokenSet | null,
    under: RequestLease,
  ): Promise<TokenAnswer> {
    const leaseLeftMs = (under.lease?.until ?? 0) - options.leaseClock.now()
    const budgetMs = Math.min(leaseLeftMs, under.deadlineLeftMs ?? leaseLeftMs) - under.writeMs
    if (budgetMs < options.timeoutMs) {
      const what = grant.grantType === 'authorization_code' ? 'code exchange' : 'refresh'
      return { error: requestNotSent(what, budgetMs, options.timeoutMs) }
    }
    const startedAt = performance.now()
    let answer: TokenAnswer
    try {
      answer = { tokens: await endpoint.request(grant, previous, budgetMs) }
      gate.answered()
    } catch (thrown) {
      answer = { error: toBoltTokenError(thrown) }
    }
    emit({
      type: 'tokenRequest',
      sessionId,
      grant: grant.grantType,
      outcome: 'tokens' in answer ? 'ok' : answer.error.code,
      durationMs: performance.now() - startedAt,
      at: options.clock(),
    })
    return answer
  }
}

/** Sends one token request; see {@link createTokenRequester}. */
export type TokenRequester = ReturnType<typeof createTokenRequester>
