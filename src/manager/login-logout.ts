/**
 * Login (a code exchange: first login or step-up) and logout of one session. A login takes
 * the session's lease by compare-and-set into `codeExchange`, exchanges the code once, and
 * commits the answer while its lease holds; a logout commits `LOGOUT`, whose record (the
 * tombstone) fences out any refresh or login still in flight.
 *
 * @module
 */
import { isBoltTokenError, loginNotConfirmed, sessionChanged, toRecordedError } from '../errors.js'
import type { ExchangeCodeParams, Lease, TokenEvent, TokenState } from '../machine/token-machine.js'
import { canManage, type TokenSet } from '../machine/token-set.js'
import type { Secret } from '../secret.js'
import { dispatch, type TokenRequester } from './actions.js'
import { sameLease, usableTokens } from './decide.js'
import type { LifecycleEvent } from './lifecycle-events.js'
import type { ResolvedOptions } from './options.js'
import type { Committed, LoadedSession, SessionIO } from './session-io.js'
import {
  stillAwaited,
  type UnsavedTokenMap,
  type UnsavedTokens,
  unsavedFor,
} from './unsaved-tokens.js'

/** What login and logout need. */
export interface LoginLogoutDeps {
  options: ResolvedOptions
  /** Issues this instance's leases. */
  newLease: () => Lease
  io: SessionIO
  requestTokens: TokenRequester
  /** Tokens Bolt issued that the store failed to save (shared with the refresh protocol). */
  unsaved: UnsavedTokenMap
  /** The manager's one safe emit: it never throws. */
  emit: (event: LifecycleEvent) => void
  /** Saves unsaved tokens by itself before their lease ends (see refresh-protocol.ts). */
  saveSoon: (sessionId: string, held: UnsavedTokens) => void
}

/**
 * How often a login tries to take the lease, and to record its answer under it. Each failed
 * attempt means another writer changed the session in between (a refresh coming back); a
 * few cover that, and a session that keeps changing is reported as `SESSION_CHANGED` before
 * the single-use code is spent, not after.
 */
const LOGIN_COMMIT_ATTEMPTS = 5

/**
 * How often a login that has its answer tries to record it while the session still awaits
 * it (under the login's lease, or as the login a newer one interrupted). Every lost attempt
 * follows another writer's change; overlapping logins that fail hand the session back to
 * this one again and again, and giving up would leave its lease behind until it ends. Its
 * answer is worth writing even once the lease has ended, as long as nobody took it over.
 */
const LOGIN_OUTCOME_ATTEMPTS = 25

/**
 * How often a logout tries to write its tombstone. Logging out must not give up easily (the
 * shopper asked for it), yet must end: after this many lost races it is `SESSION_CHANGED`.
 */
const LOGOUT_ATTEMPTS = 10

/** What a code exchange came back with. */
type LoginOutcome = Extract<TokenEvent, { type: 'EXCHANGE_SUCCEEDED' | 'EXCHANGE_FAILED' }>

/** The late form of a login's outcome, naming the lease a newer login took from it. */
function lateLoginOutcome(outcome: LoginOutcome, lease: Lease): TokenEvent {
  return outcome.type === 'EXCHANGE_SUCCEEDED'
    ? { type: 'LATE_EXCHANGE_SUCCEEDED', now: outcome.now, tokens: outcome.tokens, lease }
    : { type: 'LATE_EXCHANGE_FAILED', now: outcome.now, error: outcome.error, lease }
}

/** Creates login and logout of one manager. */
export function createLoginLogout(deps: LoginLogoutDeps) {
  const { options, newLease, io, requestTokens, emit, unsaved, saveSoon } = deps
  const { clock } = options

  /** Exchanges a login-modal code and stores the result (first login or step-up). */
  async function exchange(
    sessionId: string,
    code: Secret,
    scope: string,
    state: string | undefined,
  ): Promise<LoadedSession> {
    let locked: Committed | undefined
    let from: TokenState = 'unauthenticated'
    for (let attempt = 0; attempt < LOGIN_COMMIT_ATTEMPTS && locked === undefined; attempt++) {
      const loaded = await io.load(sessionId)
      await options.leaseClock.sync()
      from = loaded.snapshot.value as TokenState
      // Tokens a refresh of ours got but could not save are saved first, in the same write:
      // a login that fails must fall back to them, not to the refresh token they replaced.
      const held = unsavedFor(unsaved.get(sessionId), loaded)
      const saving: TokenEvent[] =
        held?.event === 'REFRESH_SUCCEEDED'
          ? [{ type: 'REFRESH_SUCCEEDED', now: clock(), tokens: held.tokens }]
          : []
      locked = await io.commit(sessionId, loaded, [
        ...saving,
        {
          type: 'CODE_RECEIVED',
          now: clock(),
          lease: newLease(),
          code,
          scope,
          ...(state === undefined ? {} : { state }),
        },
      ])
      if (locked !== undefined && saving.length > 0) unsaved.delete(sessionId)
    }
    const won = locked
    const exchanged =
      won === undefined
        ? undefined
        : dispatch(won.actions, {
            exchangeCode: (params) => exchangeUnderLease(sessionId, won, params, from),
          })
    if (exchanged === undefined) throw sessionChanged('login-not-recorded')
    return exchanged
  }

  /** Exchanges the code once under the login's lease, and commits Bolt's answer. */
  async function exchangeUnderLease(
    sessionId: string,
    locked: Committed,
    params: ExchangeCodeParams,
    from: TokenState,
  ): Promise<LoadedSession> {
    const before = locked.snapshot.context.tokens
    const answer = await requestTokens(
      sessionId,
      { grantType: 'authorization_code', ...params },
      before,
      { lease: locked.snapshot.context.lease, writeMs: locked.writeMs },
    )
    if ('error' in answer) {
      const error = toRecordedError(answer.error, clock())
      const failed: LoginOutcome = { type: 'EXCHANGE_FAILED', now: clock(), error }
      const fellBack = await commitUnderOwnLease(sessionId, locked, failed)
      if (fellBack !== undefined) await saveHandedBack(sessionId, fellBack)
      throw answer.error
    }
    const { tokens } = answer
    const stored = await saveLogin(sessionId, locked, tokens)
    if (stored === undefined) throw sessionChanged('login-overtaken')
    const couldManage = before !== null && canManage(before) && usableFrom(from, before)
    if (before !== null && !couldManage && canManage(tokens)) {
      emit({ type: 'stepUp', sessionId, at: clock() })
    }
    return stored
  }

  /**
   * Commits Bolt's answer to this login. The code is spent, so the answer must not be lost:
   * when the write fails without saying whether it landed, the session is read again to
   * learn it, and written again (fenced by version) if it did not land. If the store cannot
   * tell, this instance keeps the tokens to save on its next call for the session, and the
   * error says not to send the code again.
   */
  async function saveLogin(
    sessionId: string,
    locked: Committed,
    tokens: TokenSet,
  ): Promise<LoadedSession | undefined> {
    const succeeded: LoginOutcome = { type: 'EXCHANGE_SUCCEEDED', now: clock(), tokens }
    try {
      return await commitUnderOwnLease(sessionId, locked, succeeded)
    } catch (writeError) {
      if (!isBoltTokenError(writeError, 'STORE_UNAVAILABLE')) throw writeError
      const lease = locked.snapshot.context.lease
      const held: UnsavedTokens | undefined =
        lease === null ? undefined : { event: 'EXCHANGE_SUCCEEDED', tokens, lease }
      // The store cannot tell either: keep the tokens to save on our next call.
      const keep = (storeError: unknown): never => {
        if (!isBoltTokenError(storeError, 'STORE_UNAVAILABLE') || held === undefined) {
          throw storeError
        }
        unsaved.set(sessionId, held)
        saveSoon(sessionId, held)
        throw loginNotConfirmed(storeError, true)
      }
      const current = await io.load(sessionId).catch(keep)
      if (current.snapshot.context.tokens?.accessToken.equals(tokens.accessToken) === true) {
        return current
      }
      // The session moved on: our save may have landed (and been refreshed, logged out or
      // replaced since), or not. Nobody can tell; the code must not be sent again.
      if (held === undefined || !stillAwaited(held, current)) {
        throw loginNotConfirmed(writeError, false)
      }
      return await commitUnderOwnLease(sessionId, locked, succeeded).catch(keep)
    }
  }

  /**
   * A failed login hands the session back to the refresh or login it interrupted. If that is
   * one of this instance's, whose answer the store failed to save, the answer is saved now:
   * no caller may come back to this instance for the session, and once the lease ends another
   * instance would take it over and present the refresh token that answer replaced. A write
   * that fails again keeps the tokens for the next call, as before.
   */
  async function saveHandedBack(sessionId: string, fellBack: Committed): Promise<void> {
    const held = unsavedFor(unsaved.get(sessionId), fellBack)
    if (held === undefined) return
    const saving: TokenEvent = { type: held.event, now: clock(), tokens: held.tokens }
    const saved = await io.commit(sessionId, fellBack, [saving]).catch(() => undefined)
    if (saved !== undefined) unsaved.delete(sessionId)
  }

  /** Whether the kept tokens could still be handed out in the state the login started from. */
  function usableFrom(from: TokenState, tokens: { expiresAt: number }): boolean {
    return usableTokens(from, tokens, clock(), options.refreshSkewMs) !== null
  }

  /**
   * Commits the end of this instance's code exchange. A refresh that came back during the
   * login may have updated the kept tokens (a new version, same lease): that is no reason
   * to lose the login, so the outcome is applied to the newer record while our lease holds.
   * If a newer login took the lease while ours was in flight, ours is reported late
   * (`LATE_EXCHANGE_SUCCEEDED` / `_FAILED`), for that login to fall back on.
   */
  async function commitUnderOwnLease(
    sessionId: string,
    locked: Committed,
    outcome: LoginOutcome,
  ): Promise<Committed | undefined> {
    const ours = locked.snapshot.context.lease
    let base: LoadedSession = locked
    let event: TokenEvent = outcome
    for (let attempt = 0; attempt < LOGIN_OUTCOME_ATTEMPTS; attempt++) {
      const committed = await io.commit(sessionId, base, [event])
      if (committed !== undefined) return committed
      base = await io.load(sessionId)
      const { value, context } = base.snapshot
      if (value !== 'codeExchange' || ours === null) return undefined
      if (sameLease(context.lease, ours)) event = outcome
      else if (sameLease(context.interruptedLogin, ours)) event = lateLoginOutcome(outcome, ours)
      else return undefined
    }
    return undefined
  }

  /**
   * Ends the session; a refresh still in flight can no longer store its result. The tombstone
   * is written over whatever record is there, even one this instance cannot read (an instance
   * without the newest encryption key must still log the shopper out everywhere).
   */
  async function logout(sessionId: string): Promise<void> {
    for (let attempt = 0; attempt < LOGOUT_ATTEMPTS; attempt++) {
      const loaded = await io.load(sessionId)
      const { value, context } = loaded.snapshot
      const loggedOut = value === 'unauthenticated' && context.tokens === null
      if (loaded.version === 0 || (loggedOut && loaded.unreadable !== true)) return
      const logout: TokenEvent = { type: 'LOGOUT', now: clock() }
      if ((await io.commit(sessionId, loaded, [logout])) !== undefined) return
    }
    throw sessionChanged('logout-contended')
  }

  return { exchange, logout }
}

/** Login and logout of one manager. */
export type LoginLogout = ReturnType<typeof createLoginLogout>
