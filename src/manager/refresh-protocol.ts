/**
 * The distributed refresh protocol (DESIGN §5): exactly one refresh per rotation, in this
 * process and across every process sharing the store. The persisted `refresh` state with a
 * live lease IS the lock: whoever wins the compare-and-set into `refresh` talks to Bolt;
 * everyone else waits for the record to change and reads the winner's tokens.
 *
 * Each step is labelled with the rule of DESIGN §5 it carries out. What to do with a session
 * is decided by the pure {@link decide}; this file reads, waits and writes, and the lease
 * holder's request to Bolt and its outcome are `refresh-request.ts`'s (rule 4).
 *
 * @module
 */
import { notAuthenticated, refreshWaitTimeout } from '../errors.js'
import type { Lease } from '../machine/token-machine.js'
import type { TokenSet } from '../machine/token-set.js'
import { dispatch, type TokenRequester } from './actions.js'
import { type Decision, decide, startsRequest } from './decide.js'
import { createLateOutcomes } from './late-outcomes.js'
import { createLeaseWaiter } from './lease-waiter.js'
import type { LifecycleEvent } from './lifecycle-events.js'
import type { ResolvedOptions } from './options.js'
import { createRefreshRequest } from './refresh-request.js'
import type { ReleaseSlot, RequestGate } from './request-gate.js'
import { createSaveSoon } from './save-soon.js'
import type { LoadedSession, SessionIO } from './session-io.js'
import { stillAwaited, type UnsavedTokenMap, unsavedFor } from './unsaved-tokens.js'

/** What the refresh protocol needs. */
export interface RefreshProtocolDeps {
  options: ResolvedOptions
  /** Issues this instance's leases. */
  newLease: () => Lease
  io: SessionIO
  requestTokens: TokenRequester
  /** Tokens Bolt issued that the store failed to save (shared with login). */
  unsaved: UnsavedTokenMap
  /** The manager's one safe emit: it never throws. */
  emit: (event: LifecycleEvent) => void
  /** The line refreshes wait in before they take a lease (the expiry herd). */
  gate: RequestGate
}

/** A `getAccessToken` call's deadline, in lease lengths: one to wait out, one to hold. */
export const CALL_DEADLINE_LEASES = 2

/** Creates the refresh protocol of one manager. */
export function createRefreshProtocol(deps: RefreshProtocolDeps) {
  const { options, newLease, io, emit, gate } = deps
  const commitLate = createLateOutcomes(io)
  const { clock } = options

  const inFlight = new Map<string, Promise<TokenSet>>()
  const { unsaved } = deps
  const saveSoon = createSaveSoon({
    options,
    io,
    unsaved,
    save: (sessionId, loaded) => ensureFresh(sessionId, undefined, loaded),
  })
  const performRefresh = createRefreshRequest({ ...deps, saveSoon, commitLate })

  /**
   * Returns usable tokens for the session, refreshing them if needed. `rejected`: an access
   * token Bolt refused, to be replaced even if it looks fresh. `read`: the session as the
   * caller just read it, which stands in for the protocol's first read.
   */
  function ensureFresh(
    sessionId: string,
    rejected?: string,
    read?: LoadedSession,
  ): Promise<TokenSet> {
    // DESIGN §5 rule 1: coalesce in-process first, one promise per session.
    const running = inFlight.get(sessionId)
    if (running !== undefined) {
      if (rejected === undefined) return running
      // Whatever is running may hand back the very token Bolt refused: then refresh after it.
      // If it failed, its error is the answer (a second attempt at once would only double
      // the load on Bolt, or turn INVALID_GRANT into NOT_AUTHENTICATED).
      return running.then((tokens) =>
        tokens.accessToken.reveal() === rejected ? ensureFresh(sessionId, rejected) : tokens,
      )
    }
    const started = refreshLoop(sessionId, true, rejected, read).finally(() =>
      inFlight.delete(sessionId),
    )
    inFlight.set(sessionId, started)
    return started
  }

  /**
   * Like {@link ensureFresh} for a caller that needs `bolt.account.manage`: it waits for a
   * login in flight and recovers abandoned leases, but never starts a refresh (a refresh
   * cannot grant manage), rejecting with `SCOPE_REQUIRED` instead. A `rejected` token is
   * recorded as such (the session reads as `expired` everywhere), then `SCOPE_REQUIRED`.
   */
  function ensureFreshWithoutRefresh(
    sessionId: string,
    rejected?: string,
    read?: LoadedSession,
  ): Promise<TokenSet> {
    return refreshLoop(sessionId, false, rejected, read)
  }

  async function refreshLoop(
    sessionId: string,
    mayRefresh: boolean,
    rejected?: string,
    firstRead?: LoadedSession,
  ): Promise<TokenSet> {
    let read = firstRead
    // One deadline per call, checked at every wait and before every request: long enough to
    // wait out one lease (or watch it outlive a whole leaseMs) and hold one of our own.
    const deadlineMs = CALL_DEADLINE_LEASES * options.leaseMs
    const deadline = performance.now() + deadlineMs
    const left = () => deadline - performance.now()
    const waiter = createLeaseWaiter({ options, io, emit }, sessionId)
    // The lease our last compare-and-set tried to take, and how long that write took.
    const attempt: { lease: Lease | undefined; writeMs: number } = { lease: undefined, writeMs: 0 }
    // This call's place among the instance's refreshes in flight (request-gate.ts), once taken.
    let slot: ReleaseSlot | undefined
    try {
      for (;;) {
        if (left() <= 0) throw refreshWaitTimeout(deadlineMs)
        // DESIGN §5 rule 2: read the record (the caller's own read, the first time round).
        const loaded = read ?? (await io.load(sessionId))
        read = undefined
        const syncing = options.leaseClock.sync()
        if (syncing !== undefined) await syncing
        const now = clock()
        const leaseNow = options.leaseClock.now()
        const held = unsaved.get(sessionId)
        const lease = newLease()
        const decision = decide(loaded.snapshot, now, {
          mayRefresh,
          rejected,
          waited: waiter.waited(),
          skewMs: options.refreshSkewMs,
          lease,
          leaseNow,
          outlived: waiter.outlived(),
          attempted: attempt.lease,
          unsaved: unsavedFor(held, loaded),
        })
        attempt.lease = undefined
        // Held tokens belong to the refresh or login this record shows; once it is over (and,
        // for a login, no newer login may hand the session back to it), they are stale.
        const moving =
          decision.kind === 'wait' || (decision.kind === 'send' && decision.takeover !== undefined)
        if (moving && held !== undefined && !stillAwaited(held, loaded)) unsaved.delete(sessionId)
        switch (decision.kind) {
          case 'token': // DESIGN §5 rule 2: a valid token is returned as it is.
            return decision.tokens
          case 'error':
            throw decision.error
          case 'wait': // DESIGN §5 rule 3: a live lease: wait for the key to change, re-read.
            await waiter.wait(loaded, decision.lease, leaseNow, left())
            continue
          case 'holding': {
            // DESIGN §5 rule 4: our lock write landed though the store answered "fenced".
            const refreshToken = loaded.snapshot.context.tokens?.refreshToken
            if (refreshToken === undefined)
              throw notAuthenticated(loaded.snapshot.context.lastError)
            const locked = { ...loaded, actions: [], writeMs: attempt.writeMs }
            const tokens = await performRefresh(sessionId, locked, refreshToken, left())
            if (tokens !== undefined) return tokens
            continue
          }
          case 'send': {
            if (startsRequest(decision)) {
              // Taking a lease with less than one attempt left would only hold everyone up.
              if (left() < options.timeoutMs) throw refreshWaitTimeout(deadlineMs)
              if (slot === undefined) {
                slot = gate.tryAcquire()
                if (slot === undefined) {
                  // The expiry herd: wait in line before taking the lease (never while holding
                  // it), then read again, since another instance may have refreshed meanwhile.
                  slot = await gate.acquire(left() - options.timeoutMs)
                  continue
                }
              }
              attempt.lease = lease
            }
            const tokens = await act(sessionId, loaded, decision, now, left, attempt)
            if (tokens !== undefined) return tokens
          }
        }
      }
    } finally {
      waiter.stop()
      slot?.()
    }
  }

  /**
   * Commits a decision's events and runs what the machine then asks for. `undefined`: the
   * session moved on (a lost compare-and-set, a refresh fenced out); the caller re-reads.
   */
  async function act(
    sessionId: string,
    loaded: LoadedSession,
    decision: Extract<Decision, { kind: 'send' }>,
    now: number,
    deadlineLeft: () => number,
    attempt: { writeMs: number },
  ): Promise<TokenSet | undefined> {
    // DESIGN §5 rule 2: compare-and-set `expired → refresh` with a lease (or rule 5: take a
    // dead lease over), fenced by the version read.
    const writeStarted = performance.now()
    const committed = await io.commit(sessionId, loaded, decision.events)
    attempt.writeMs = performance.now() - writeStarted
    if (decision.saves !== undefined) {
      unsaved.delete(sessionId)
      return committed === undefined ? undefined : decision.saves
    }
    // DESIGN §5 rule 3: lost the compare-and-set: re-read.
    if (committed === undefined) return undefined
    if (decision.takeover !== undefined && committed.version !== loaded.version) {
      const state = loaded.snapshot.value === 'codeExchange' ? 'codeExchange' : 'refresh'
      emit({ type: 'leaseTakenOver', sessionId, state, reason: decision.takeover, at: now })
    }
    return dispatch(committed.actions, {
      refreshTokens: ({ refreshToken }) => {
        if (refreshToken === null) throw notAuthenticated(loaded.snapshot.context.lastError)
        return performRefresh(sessionId, committed, refreshToken, deadlineLeft())
      },
    })
  }

  return { ensureFresh, ensureFreshWithoutRefresh, saveSoon }
}

/** A refresh protocol instance. */
export type RefreshProtocol = ReturnType<typeof createRefreshProtocol>
