/**
 * The lease holder's request (DESIGN §5 rule 4): present the refresh token once, within what
 * is left of the lease, then commit Bolt's answer (fenced by version), or record the failure.
 * A rotation the store could not take is kept by this instance and saved soon; one fenced out
 * is still committed while the session holds the token it spent (`late-outcomes.ts`).
 *
 * @module
 */
import { type BoltTokenError, isBoltTokenError, toRecordedError } from '../errors.js'
import { canManage, REFRESH_SCOPE, type TokenSet } from '../machine/token-set.js'
import type { Secret } from '../secret.js'
import type { TokenRequester } from './actions.js'
import type { LateOutcomes, RefreshOutcome } from './late-outcomes.js'
import type { LifecycleEvent } from './lifecycle-events.js'
import type { ResolvedOptions } from './options.js'
import type { Committed, LoadedSession, SessionIO } from './session-io.js'
import type { UnsavedTokenMap, UnsavedTokens } from './unsaved-tokens.js'

/** What the holder's request needs. */
export interface RefreshRequestDeps {
  options: Pick<ResolvedOptions, 'clock'>
  io: Pick<SessionIO, 'commit'>
  requestTokens: TokenRequester
  /** Tokens Bolt issued that the store failed to save (shared with login). */
  unsaved: UnsavedTokenMap
  /** Saves held tokens by itself before their lease ends (`save-soon.ts`). */
  saveSoon: (sessionId: string, held: UnsavedTokens) => void
  /** Commits an outcome that lost its lease, while the session holds the token it spent. */
  commitLate: LateOutcomes
  /** The manager's one safe emit: it never throws. */
  emit: (event: LifecycleEvent) => void
}

/**
 * Creates `performRefresh(sessionId, locked, refreshToken, deadlineLeftMs)`: the tokens the
 * caller gets, or `undefined` when the session moved on (the caller reads it again).
 */
export function createRefreshRequest(deps: RefreshRequestDeps) {
  const { options, io, requestTokens, unsaved, saveSoon, commitLate, emit } = deps
  const { clock } = options

  /**
   * DESIGN §5 rule 4: won the lease: call the token endpoint once, within what is left of the
   * lease after the store round trips, then commit the result.
   */
  async function performRefresh(
    sessionId: string,
    locked: Committed,
    refreshToken: Secret,
    deadlineLeftMs: number,
  ): Promise<TokenSet | undefined> {
    const answer = await requestTokens(
      sessionId,
      { grantType: 'refresh_token', refreshToken, scope: REFRESH_SCOPE },
      locked.snapshot.context.tokens,
      { lease: locked.snapshot.context.lease, writeMs: locked.writeMs, deadlineLeftMs },
    )
    if ('error' in answer) return recordFailure(sessionId, locked, refreshToken, answer.error)
    const { tokens } = answer
    const succeeded: RefreshOutcome = { type: 'REFRESH_SUCCEEDED', now: clock(), tokens }
    let saved: Committed | undefined
    try {
      // The version check is the fence: never overwrite a newer record.
      saved = await io.commit(sessionId, locked, [succeeded])
    } catch (storeError) {
      // Bolt has rotated: the caller gets the new token, and this instance keeps it to save
      // on its next call. Other instances see the refresh in flight and, after the lease,
      // retry the spent refresh token once (DESIGN §5 rule 5).
      const lease = locked.snapshot.context.lease
      if (lease !== null) {
        const held: UnsavedTokens = { event: 'REFRESH_SUCCEEDED', tokens, lease }
        unsaved.set(sessionId, held)
        saveSoon(sessionId, held)
      }
      report(
        sessionId,
        storeError,
        'The refreshed tokens could not be saved. The caller got the new access token; this instance saves the tokens on its next call for this session, or by itself before its lease ends.',
      )
      return tokens
    }
    // Fenced out: another instance took the lease over, a login started, or a failed attempt
    // ended the lease. If the session still holds the refresh token we just spent, our
    // rotation is the newest: the machine keeps it rather than let anyone present the spent
    // token again.
    if (saved === undefined) {
      try {
        if (!(await commitLate(sessionId, locked, refreshToken, succeeded))) return undefined
      } catch (storeError) {
        report(
          sessionId,
          storeError,
          'A refresh that lost its lease could not save its rotation. The caller got the new access token; other instances may present the spent refresh token again.',
        )
        return tokens
      }
    }
    const before = locked.snapshot.context.tokens
    if (before !== null && canManage(before) && !canManage(tokens)) {
      emit({ type: 'downgrade', sessionId, at: clock() })
    }
    return tokens
  }

  /** A refresh Bolt refused or that failed: recorded, then the error is the caller's answer. */
  async function recordFailure(
    sessionId: string,
    locked: LoadedSession,
    refreshToken: Secret,
    error: BoltTokenError,
  ): Promise<undefined> {
    const failed: RefreshOutcome = {
      type: 'REFRESH_FAILED',
      now: clock(),
      error: toRecordedError(error, clock()),
    }
    try {
      if ((await io.commit(sessionId, locked, [failed])) !== undefined) throw error
      // Fenced out. If the session still holds the token we presented, our failure is news
      // about it (a refused token stays refused: DESIGN §5 rule 5, the session ends rather
      // than let the next caller present it again); otherwise the session moved on and the
      // caller retries.
      if (await commitLate(sessionId, locked, refreshToken, failed)) throw error
    } catch (storeError) {
      if (storeError === error) throw error
      report(
        sessionId,
        storeError,
        'The failed refresh could not be recorded; other instances take the refresh over when its lease ends.',
      )
      throw error
    }
    return undefined
  }

  /** Reports a store failure no caller is told about; any other error is rethrown. */
  function report(sessionId: string, thrown: unknown, detail: string): void {
    if (!isBoltTokenError(thrown, 'STORE_UNAVAILABLE')) throw thrown
    emit({ type: 'error', sessionId, error: thrown, detail, at: clock() })
  }

  return performRefresh
}
