/**
 * The outcome of a refresh that lost its lease (another instance took it over, a login
 * started, or a failed attempt ended it) is still news about the refresh token it presented:
 * while the session holds that token, the outcome is the newest word on it, and the machine
 * hears it as `LATE_REFRESH_SUCCEEDED` or `LATE_REFRESH_FAILED` (DESIGN §5 rule 5).
 *
 * @module
 */
import type { TokenEvent } from '../machine/token-machine.js'
import type { Secret } from '../secret.js'
import { sameLease } from './decide.js'
import type { LoadedSession, SessionIO } from './session-io.js'

/** What a refresh came back with, before it is known whether its lease still holds. */
export type RefreshOutcome = Extract<TokenEvent, { type: 'REFRESH_SUCCEEDED' | 'REFRESH_FAILED' }>

/**
 * How often a refresh that lost its lease tries to record its outcome. Each failed attempt
 * means another writer changed the session in between; after this many the session is busy
 * enough that the outcome is dropped (the caller already has its answer).
 */
const LATE_OUTCOME_ATTEMPTS = 10

/** The late form of a refresh's outcome, naming the refresh token it `spent`. */
function lateOutcome(outcome: RefreshOutcome, spent: Secret): TokenEvent {
  return outcome.type === 'REFRESH_SUCCEEDED'
    ? { type: 'LATE_REFRESH_SUCCEEDED', now: outcome.now, tokens: outcome.tokens, spent }
    : { type: 'LATE_REFRESH_FAILED', now: outcome.now, error: outcome.error, spent }
}

/** Commits a late outcome; see {@link createLateOutcomes}. */
export type LateOutcomes = (
  sessionId: string,
  locked: LoadedSession,
  spent: Secret,
  outcome: RefreshOutcome,
) => Promise<boolean>

/**
 * Creates `commitLate(sessionId, locked, spent, outcome)`: applies the outcome of a refresh
 * that lost its lease, as long as the session still holds the refresh token it spent. If a
 * failed login handed the lease back (`refresh` under our very lease), the outcome is reported
 * under the lease; otherwise it is reported late and the machine decides what it still
 * changes. Resolves `false` once the session moved on.
 */
export function createLateOutcomes(io: SessionIO): LateOutcomes {
  return async function commitLate(
    sessionId: string,
    locked: LoadedSession,
    spent: Secret,
    outcome: RefreshOutcome,
  ): Promise<boolean> {
    const ours = locked.snapshot.context.lease
    for (let attempt = 0; attempt < LATE_OUTCOME_ATTEMPTS; attempt++) {
      const current = await io.load(sessionId)
      const { value, context } = current.snapshot
      if (context.tokens?.refreshToken.equals(spent) !== true) return false
      const resumed = value === 'refresh' && sameLease(context.lease, ours)
      const event = resumed ? outcome : lateOutcome(outcome, spent)
      const committed = await io.commit(sessionId, current, [event])
      if (committed !== undefined) return committed.version !== current.version
    }
    return false
  }
}
