/**
 * What a caller that wants an access token should do next, decided from a session snapshot
 * alone: return a token, throw an error, wait for a lease holder, or send the machine events.
 * Pure: no store, no clock, no Bolt. The refresh protocol (`refresh-protocol.ts`) reads the
 * session, asks {@link decide}, and carries the answer out.
 *
 * Freshness is decided here, once, by {@link stateAt}: every other place (the valid-token
 * path, `getStatus`, the refresh protocol) asks it.
 *
 * @module
 */
import {
  type BoltTokenError,
  errorFromSession,
  notAuthenticated,
  scopeRequired,
} from '../errors.js'
import {
  type Lease,
  sameLease,
  type TokenContext,
  type TokenEvent,
  type TokenState,
} from '../machine/token-machine.js'
import { isAccessTokenFresh, type TokenSet } from '../machine/token-set.js'
import type { LeaseTakenOverEvent } from './lifecycle-events.js'
import type { UnsavedTokens } from './unsaved-tokens.js'

/**
 * The state a session is in at `now`: a kept access token with no more than `skewMs` left
 * makes `fullyScoped` and `viewOnly` read as `expired` (the machine learns it on its next
 * `TIME_ADVANCED`).
 */
export function stateAt(
  state: TokenState,
  tokens: { expiresAt: number } | null,
  now: number,
  skewMs: number,
): TokenState {
  if (state !== 'fullyScoped' && state !== 'viewOnly') return state
  return tokens !== null && !isAccessTokenFresh(tokens, now, skewMs) ? 'expired' : state
}

/**
 * The tokens a session can hand out at `now` without talking to Bolt, or `null`. Works on
 * stored tokens (the valid-token path) and revived ones alike.
 */
export function usableTokens<T extends { expiresAt: number }>(
  state: TokenState,
  tokens: T | null,
  now: number,
  skewMs: number,
): T | null {
  const current = stateAt(state, tokens, now, skewMs)
  return current === 'fullyScoped' || current === 'viewOnly' ? tokens : null
}

export { sameLease }

/** What the caller wants and knows, besides the snapshot and the time. */
export interface Need {
  /** Whether this caller may start a refresh: not when it needs `bolt.account.manage`. */
  mayRefresh: boolean
  /** An access token Bolt refused: it counts as expired whatever its expiry says. */
  rejected?: string | undefined
  /** Whether this caller already waited for another holder of the lease. */
  waited: boolean
  /** How early a token counts as expired, in milliseconds. */
  skewMs: number
  /** The lease this caller takes if it starts a refresh or takes one over. */
  lease: Lease
  /** The store's time now (`lease-clock.ts`): leases end by it, not by `now`. */
  leaseNow: number
  /**
   * A lease this caller watched unchanged for a whole lease length of its own monotonic
   * time: it has ended, whatever the holder's clock says.
   */
  outlived?: Lease | null | undefined
  /**
   * The lease this caller's last compare-and-set tried to take. Found in the record, that
   * write landed, whatever the store answered (a retried write reports "fenced").
   */
  attempted?: Lease | undefined
  /** Tokens this instance got from Bolt but could not save, when they belong to this snapshot. */
  unsaved?: Pick<UnsavedTokens, 'event' | 'tokens'> | undefined
}

/** The answer of {@link decide}. */
export type Decision =
  /** Hand these tokens out. */
  | { kind: 'token'; tokens: TokenSet }
  /** Fail with this error. */
  | { kind: 'error'; error: BoltTokenError }
  /** Another holder has the lease: wait for the session to change (or the lease to end). */
  | { kind: 'wait'; lease: Lease }
  /** This caller holds the refresh lease (its write landed): present the refresh token. */
  | { kind: 'holding'; lease: Lease }
  /**
   * Commit these events. `takeover` says why a lease is taken over; `saves` is set when the
   * events save {@link Need.unsaved} (then these are the caller's tokens once committed).
   */
  | {
      kind: 'send'
      events: TokenEvent[]
      takeover?: LeaseTakenOverEvent['reason']
      saves?: TokenSet
    }

/** The part of a snapshot {@link decide} reads. */
export interface SnapshotView {
  value: unknown
  context: TokenContext
}

/** Decides the next step for a caller that wants an access token; see {@link Decision}. */
export function decide(snapshot: SnapshotView, now: number, need: Need): Decision {
  const { context } = snapshot
  const state = snapshot.value as TokenState
  const { tokens, lastError, lease } = context
  switch (state) {
    case 'unauthenticated':
      // Waited for a refresh Bolt refused: its error is the answer, not a generic one.
      if (need.waited && lastError?.code === 'INVALID_GRANT') {
        return { kind: 'error', error: errorFromSession(lastError) }
      }
      return { kind: 'error', error: notAuthenticated(lastError) }
    case 'fullyScoped':
    case 'viewOnly': {
      const refused = need.rejected !== undefined && tokens?.accessToken.reveal() === need.rejected
      if (!refused) {
        const usable = usableTokens(state, tokens, now, need.skewMs)
        if (usable !== null) return { kind: 'token', tokens: usable }
        if (!need.mayRefresh) return { kind: 'error', error: scopeRequired() }
      }
      // A token Bolt refused is expired, whatever its expiry says: every instance must learn
      // it (a caller that may not refresh only records it).
      const expired: TokenEvent = refused
        ? { type: 'ACCESS_TOKEN_REJECTED', now }
        : { type: 'TIME_ADVANCED', now, skewMs: need.skewMs }
      const refresh: TokenEvent[] = need.mayRefresh
        ? [{ type: 'REFRESH_STARTED', now, lease: need.lease }]
        : []
      return { kind: 'send', events: [expired, ...refresh] }
    }
    case 'expired':
      // Waited for a refresh that failed: its error is the answer (no second attempt at once).
      if (need.waited && lastError !== null) {
        return { kind: 'error', error: errorFromSession(lastError) }
      }
      if (!need.mayRefresh) return { kind: 'error', error: scopeRequired() }
      return { kind: 'send', events: [{ type: 'REFRESH_STARTED', now, lease: need.lease }] }
    case 'refresh':
    case 'codeExchange': {
      // A refresh never grants manage: a manage caller has nothing to wait for, and must not
      // start (or take over) one.
      // Our own answer from Bolt, kept after its save failed: saving it ends the wait.
      const saving = need.unsaved
      if (saving?.event === (state === 'refresh' ? 'REFRESH_SUCCEEDED' : 'EXCHANGE_SUCCEEDED')) {
        const { tokens: unsaved } = saving
        const event: TokenEvent =
          state === 'refresh'
            ? { type: 'REFRESH_SUCCEEDED', now, tokens: unsaved }
            : { type: 'EXCHANGE_SUCCEEDED', now, tokens: unsaved }
        return { kind: 'send', events: [event], saves: unsaved }
      }
      if (state === 'refresh' && !need.mayRefresh) return { kind: 'error', error: scopeRequired() }
      if (state === 'refresh' && lease !== null && sameLease(lease, need.attempted)) {
        return { kind: 'holding', lease }
      }
      const live = lease !== null && need.leaseNow <= lease.until
      if (live && !sameLease(need.outlived, lease)) return { kind: 'wait', lease }
      // DESIGN §5 rule 5: the lease has ended (by the store's clock, or outlived by our own watch).
      const outlived = live ? ({ outlived: true } as const) : {}
      return {
        kind: 'send',
        events: [
          state === 'codeExchange'
            ? { type: 'EXCHANGE_ABANDONED', now, ...outlived }
            : { type: 'LEASE_TAKEN_OVER', now, lease: need.lease, ...outlived },
        ],
        takeover: live ? 'outlived' : 'expired',
      }
    }
  }
}

/** Whether committing `decision` takes a lease to present the refresh token. */
export function startsRequest(decision: Extract<Decision, { kind: 'send' }>): boolean {
  return decision.events.some(
    (event) => event.type === 'REFRESH_STARTED' || event.type === 'LEASE_TAKEN_OVER',
  )
}
