/**
 * Runs the token machine against a shared store: loads a session, feeds the machine
 * events, persists the result by compare-and-set, and only then executes the actions the
 * machine asked for (`exchangeCode`, `refreshTokens`).
 *
 * The persisted `refresh` state with a live lease is the distributed lock (DESIGN §5):
 * whoever wins the compare-and-set into `refresh` talks to Bolt; everyone else waits for
 * the record to change and reads the winner's tokens. The version check fences every write.
 *
 * @module
 */
import { initialTransition, transition } from 'xstate'
import type { VersionedValue } from '../contracts.js'
import { answerDetails, BoltTokenError, type ErrorCode, isBoltTokenError } from '../errors.js'
import {
  type Lease,
  type SessionError,
  type TokenEvent,
  type TokenState,
  tokenMachine,
} from '../machine/token-machine.js'
import {
  canManage,
  isAccessTokenFresh,
  REFRESH_SCOPE,
  type TokenSet,
} from '../machine/token-set.js'
import { quoteServerText } from '../oauth/redact.js'
import type { TokenEndpoint } from '../oauth/token-endpoint.js'
import type { Secret } from '../secret.js'
import type {
  LeaseTakenOverEvent,
  LifecycleEvent,
  TokenRequestEvent,
  TransitionEvent,
} from './lifecycle-events.js'
import type { ResolvedOptions } from './options.js'
import { createRecordCache } from './record-cache.js'
import { encodeSessionRecord, reviveSnapshot, type TokenSnapshot } from './session-record.js'

/** A session as read from the store. Absent sessions read as the initial snapshot at version 0. */
export interface LoadedSession {
  snapshot: TokenSnapshot
  version: number
}

interface Committed extends LoadedSession {
  actions: ReturnType<typeof transition<typeof tokenMachine>>[1]
}

/** What the interpreter needs. */
export interface InterpreterDeps {
  options: ResolvedOptions
  endpoint: TokenEndpoint
  /** This manager instance's lease identity. */
  owner: string
  emit: (event: LifecycleEvent) => void
}

const [initialSnapshot] = initialTransition(tokenMachine)

/** How long a logged-out session's record is kept, fencing out late writers. */
const TOMBSTONE_MIN_TTL_MS = 60_000

/** Converts anything thrown by a token request into a {@link BoltTokenError}. */
export function toBoltTokenError(error: unknown): BoltTokenError {
  if (isBoltTokenError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new BoltTokenError(
    'NETWORK_ERROR',
    `The token request failed unexpectedly: ${quoteServerText(message, [], 160)}. Retry later.`,
    { cause: error },
  )
}

function toSessionError(error: BoltTokenError, at: number): SessionError {
  return {
    code: error.code,
    message: error.message,
    at,
    ...answerDetails(error),
  }
}

const knownCodes = new Set<string>([
  'INVALID_GRANT',
  'INVALID_CLIENT',
  'INVALID_REQUEST',
  'INVALID_RESPONSE',
  'SERVER_ERROR',
  'RATE_LIMITED',
  'NETWORK_ERROR',
  'TIMEOUT',
])

/** Rebuilds the error another instance recorded in the session, for callers that waited on it. */
export function errorFromSession(error: SessionError): BoltTokenError {
  const code = (knownCodes.has(error.code) ? error.code : 'SERVER_ERROR') as ErrorCode
  return new BoltTokenError(code, error.message, {
    ...answerDetails(error),
  })
}

/** The error for a session with no usable tokens, naming why it ended when known. */
export function notAuthenticated(lastError: SessionError | null): BoltTokenError {
  const why = lastError === null ? '' : ` It ended after: ${lastError.message}`
  return new BoltTokenError(
    'NOT_AUTHENTICATED',
    `This session has no Bolt tokens: show the login modal and pass its code to exchangeCode().${why}`,
  )
}

/** The error for a caller that needs `bolt.account.manage` from a session that cannot give it. */
export function scopeRequired(): BoltTokenError {
  return new BoltTokenError(
    'SCOPE_REQUIRED',
    'This session is view-only (bolt.account.manage lasts one hour after a login; a refresh only grants bolt.account.view). Show the login modal again and pass its code to exchangeCode() to step up.',
  )
}

/** The error for a failed store operation; nothing was changed. */
export function storeUnavailable(action: string, cause: unknown): BoltTokenError {
  return new BoltTokenError(
    'STORE_UNAVAILABLE',
    `The session store failed to ${action}; nothing was changed. Retry later and check the store.`,
    { cause },
  )
}

function sleep(ms: number, wake: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const slept = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([slept, wake]).finally(() => clearTimeout(timer))
}

/** Whether two leases are the same grant (same holder, same end); `null` is no lease. */
function sameLease(a: Lease | null, b: Lease | null): boolean {
  return a?.owner === b?.owner && a?.until === b?.until
}

/** What a refresh came back with, before it is known whether its lock still holds. */
type RefreshOutcome = Extract<TokenEvent, { type: 'REFRESH_SUCCEEDED' | 'REFRESH_FAILED' }>

/** The interpreter: the only code that moves a session from one state to another. */
export function createInterpreter(deps: InterpreterDeps) {
  const { options, endpoint, owner, emit } = deps
  const { store, clock, cipher } = options
  const records = createRecordCache({
    cipher,
    acceptsPlaintext: () => clock() < options.plaintextAcceptedUntil,
    storeKeyOf: options.storeKeyOf,
    onUnreadable: (sessionId, reason, keyId) => {
      const error = new BoltTokenError(
        'RECORD_UNREADABLE',
        `The stored session could not be read: ${reason}${keyId === undefined ? '' : ` (key id '${keyId}')`}. It reads as logged out; a new login replaces it.`,
      )
      try {
        emit({
          type: 'error',
          sessionId,
          error,
          detail: 'The session reads as absent.',
          at: clock(),
        })
      } catch {
        // an observer's failure must not break a read
      }
    },
  })

  const newLease = (): Lease => ({ owner, until: clock() + options.leaseMs })
  // A token operation and its retries must end before its lease does.
  const operationBudgetMs = Math.max(options.timeoutMs, options.leaseMs - 1_000)

  const readFailed = (cause: unknown): never => {
    throw storeUnavailable('read the session', cause)
  }

  // Not async and no closure per call: this is the valid-token path.
  function read(sessionId: string): Promise<VersionedValue | undefined> {
    try {
      return store.get(records.keyOf(sessionId)).catch(readFailed)
    } catch (cause) {
      return Promise.reject(storeUnavailable('read the session', cause))
    }
  }

  /** Turns a stored value into a snapshot; an unreadable record reads as a fresh session. */
  async function revive(
    sessionId: string,
    stored: VersionedValue | undefined,
  ): Promise<LoadedSession> {
    if (stored === undefined) return { snapshot: initialSnapshot, version: 0 }
    const record = await records.decode(sessionId, stored)
    return {
      snapshot: record === undefined ? initialSnapshot : reviveSnapshot(record),
      version: stored.version,
    }
  }

  async function load(sessionId: string): Promise<LoadedSession> {
    return revive(sessionId, await read(sessionId))
  }

  /**
   * Feeds `events` to the machine from `loaded` and persists the result if the record is
   * still at `loaded.version`. Resolves `undefined` when another writer got there first.
   */
  async function commit(
    sessionId: string,
    loaded: LoadedSession,
    events: TokenEvent[],
  ): Promise<Committed | undefined> {
    let snapshot = loaded.snapshot
    const actions: Committed['actions'] = []
    const transitions: TransitionEvent[] = []
    for (const event of events) {
      const [next, nextActions] = transition(tokenMachine, snapshot, event)
      if (next.value !== snapshot.value || next.context !== snapshot.context) {
        transitions.push({
          type: 'transition',
          sessionId,
          from: snapshot.value as TokenState,
          to: next.value as TokenState,
          event: event.type,
          at: event.now,
        })
      }
      snapshot = next
      actions.push(...nextActions)
    }
    if (transitions.length === 0) return { ...loaded, actions }
    const ttlMs =
      snapshot.value === 'unauthenticated' && snapshot.context.lastError === null
        ? Math.max(TOMBSTONE_MIN_TTL_MS, options.leaseMs * 4)
        : options.sessionTtlMs
    let version: number | undefined
    try {
      const plaintext = encodeSessionRecord(snapshot)
      const value = cipher === null ? plaintext : await cipher.encrypt(plaintext, sessionId)
      version = await store.compareAndSet(records.keyOf(sessionId), value, {
        expectedVersion: loaded.version,
        ttlMs,
      })
    } catch (cause) {
      throw new BoltTokenError(
        'STORE_UNAVAILABLE',
        'The session store failed while saving the session; the write may or may not have landed (the version check keeps any late write from overwriting a newer one). Retry later and check the store.',
        { cause },
      )
    }
    if (version === undefined) return undefined
    for (const record of transitions) {
      try {
        emit(record)
      } catch {
        // an observer's failure must not undo a committed transition
      }
    }
    return { snapshot, version, actions }
  }

  /**
   * Watches one session for the length of a wait loop: one subscription, however many
   * times the loop waits. `next` returns on a notification, when the record is found past
   * `version` right after subscribing, or after `maxWaitMs` (the poll fallback).
   */
  async function watchSession(sessionId: string, version: number) {
    let notified = false
    let wake: (() => void) | undefined
    let unsubscribe: () => void
    try {
      unsubscribe = await store.subscribe(records.keyOf(sessionId), () => {
        notified = true
        wake?.()
      })
    } catch (cause) {
      throw storeUnavailable('watch the session', cause)
    }
    // Re-read after subscribing: a change between our read and the subscription is not lost.
    // Only ever raise the flag here: a notification that arrived while this read was in
    // flight (its answer predating the write) must not be forgotten.
    if (((await read(sessionId).catch(() => undefined))?.version ?? 0) !== version) notified = true
    return {
      async next(maxWaitMs: number): Promise<void> {
        if (!notified) {
          await sleep(
            maxWaitMs,
            new Promise<void>((resolve) => {
              wake = resolve
            }),
          )
          wake = undefined
        }
        notified = false
      },
      stop: () => unsubscribe(),
    }
  }

  function waitBudget(lease: Lease | null, now: number): number {
    const leaseLeft = lease === null ? 0 : lease.until - now + 1
    return Math.max(1, Math.min(options.pollIntervalMs, leaseLeft))
  }

  const inFlight = new Map<string, Promise<TokenSet>>()
  /** Tokens Bolt issued that the store failed to save, with the version they belong after. */
  const unsaved = new Map<string, { version: number; tokens: TokenSet }>()

  function report(sessionId: string, thrown: unknown, detail: string): void {
    if (!isBoltTokenError(thrown, 'STORE_UNAVAILABLE')) throw thrown
    notify({ type: 'error', sessionId, error: thrown, detail, at: clock() })
  }

  function reportRequest(
    sessionId: string,
    grant: TokenRequestEvent['grant'],
    outcome: string,
    startedAt: number,
  ): void {
    const durationMs = performance.now() - startedAt
    notify({ type: 'tokenRequest', sessionId, grant, outcome, durationMs, at: clock() })
  }

  function notify(event: LifecycleEvent): void {
    try {
      emit(event)
    } catch {
      // an observer's failure must not hide what is being reported
    }
  }

  /**
   * Returns usable tokens for the session, refreshing them if needed: exactly one refresh
   * per rotation, in this process (one promise per session) and across processes (the
   * persisted lease).
   */
  function ensureFresh(sessionId: string, rejected?: string): Promise<TokenSet> {
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
    const started = refreshLoop(sessionId, true, rejected).finally(() => inFlight.delete(sessionId))
    inFlight.set(sessionId, started)
    return started
  }

  /**
   * Like {@link ensureFresh} for a caller that needs `bolt.account.manage`: it waits for a
   * login in flight and recovers abandoned leases, but never starts a refresh (a refresh
   * cannot grant manage), rejecting with `SCOPE_REQUIRED` instead.
   */
  function ensureFreshWithoutRefresh(sessionId: string): Promise<TokenSet> {
    return refreshLoop(sessionId, false)
  }

  /** `rejected`: an access token Bolt refused, to be replaced even if it looks fresh. */
  async function refreshLoop(
    sessionId: string,
    mayRefresh: boolean,
    rejected?: string,
  ): Promise<TokenSet> {
    const giveUpAt = performance.now() + options.leaseMs + options.timeoutMs
    // When this call first waited for another holder of the lease (monotonic).
    let waitingSince: number | undefined
    // The lease this loop waits on, and since when (monotonic): a lease seen unchanged for a
    // whole leaseMs has ended whatever the holder's clock says (it may run ahead of ours).
    let watched: { lease: Lease; since: number } | undefined
    let watch: Awaited<ReturnType<typeof watchSession>> | undefined
    try {
      for (;;) {
        if (performance.now() > giveUpAt) {
          throw new BoltTokenError(
            'REFRESH_WAIT_TIMEOUT',
            `Another instance held this session's refresh for longer than leaseMs + timeoutMs (${options.leaseMs + options.timeoutMs} ms). Retry; if it recurs, check that all instances' clocks agree.`,
          )
        }
        const loaded = await load(sessionId)
        const { context } = loaded.snapshot
        const state = loaded.snapshot.value as TokenState
        const now = clock()
        let events: TokenEvent[]
        let takeover: LeaseTakenOverEvent['reason'] | undefined
        switch (state) {
          case 'unauthenticated':
            if (waitingSince !== undefined && context.lastError?.code === 'INVALID_GRANT') {
              throw errorFromSession(context.lastError)
            }
            throw notAuthenticated(context.lastError)
          case 'fullyScoped':
          case 'viewOnly': {
            const refused =
              rejected !== undefined && context.tokens?.accessToken.reveal() === rejected
            if (
              context.tokens !== null &&
              !refused &&
              isAccessTokenFresh(context.tokens, now, options.refreshSkewMs)
            ) {
              return context.tokens
            }
            if (!mayRefresh) throw scopeRequired()
            // A token Bolt refused counts as expired now, whatever its expiry says.
            const skewMs = refused ? Number.MAX_SAFE_INTEGER : options.refreshSkewMs
            events = [
              { type: 'TIME_ADVANCED', now, skewMs },
              { type: 'REFRESH_STARTED', now, lease: newLease() },
            ]
            break
          }
          case 'expired':
            if (waitingSince !== undefined && context.lastError !== null) {
              throw errorFromSession(context.lastError)
            }
            if (!mayRefresh) throw scopeRequired()
            events = [{ type: 'REFRESH_STARTED', now, lease: newLease() }]
            break
          case 'refresh':
          case 'codeExchange': {
            // A refresh never grants manage: a manage caller has nothing to wait for, and
            // must not start (or take over) one.
            if (state === 'refresh' && !mayRefresh) throw scopeRequired()
            const held = unsaved.get(sessionId)
            if (held !== undefined && state === 'refresh' && held.version === loaded.version) {
              const succeeded: TokenEvent = { type: 'REFRESH_SUCCEEDED', now, tokens: held.tokens }
              const saved = await commit(sessionId, loaded, [succeeded])
              unsaved.delete(sessionId)
              if (saved !== undefined) return held.tokens
              continue
            }
            unsaved.delete(sessionId)
            const { lease } = context
            if (lease !== null && now <= lease.until) {
              if (watched === undefined || !sameLease(watched.lease, lease)) {
                watched = { lease, since: performance.now() }
              }
              const outlivedInMs = watched.since + options.leaseMs - performance.now()
              if (outlivedInMs > 0) {
                waitingSince ??= performance.now()
                watch ??= await watchSession(sessionId, loaded.version)
                await watch.next(Math.max(1, Math.min(waitBudget(lease, now), outlivedInMs)))
                continue
              }
              takeover = 'outlived'
              events = [{ type: 'LEASE_TAKEN_OVER', now, lease: newLease(), outlived: true }]
              break
            }
            takeover = 'expired'
            events = [{ type: 'LEASE_TAKEN_OVER', now, lease: newLease() }]
            break
          }
        }
        const committed = await commit(sessionId, loaded, events)
        if (committed === undefined) continue
        if (takeover !== undefined && committed.version !== loaded.version) {
          notify({
            type: 'leaseTakenOver',
            sessionId,
            state: state === 'codeExchange' ? 'codeExchange' : 'refresh',
            reason: takeover,
            at: now,
          })
        }
        const action = committed.actions.find((candidate) => candidate.type === 'refreshTokens')
        if (action === undefined) continue
        const { refreshToken } = action.params as { refreshToken: Secret | null }
        if (refreshToken === null) throw notAuthenticated(context.lastError)
        const tokens = await performRefresh(sessionId, committed, refreshToken)
        if (tokens !== undefined) return tokens
      }
    } finally {
      watch?.stop()
      if (waitingSince !== undefined) {
        const waitedMs = performance.now() - waitingSince
        notify({ type: 'leaseContention', sessionId, waitedMs, at: clock() })
      }
    }
  }

  /** Calls Bolt once and commits the outcome. `undefined`: fenced out, re-evaluate. */
  async function performRefresh(
    sessionId: string,
    locked: LoadedSession,
    refreshToken: Secret,
  ): Promise<TokenSet | undefined> {
    let tokens: TokenSet
    const startedAt = performance.now()
    try {
      tokens = await endpoint.request(
        { grantType: 'refresh_token', refreshToken, scope: REFRESH_SCOPE },
        locked.snapshot.context.tokens,
        operationBudgetMs,
      )
      reportRequest(sessionId, 'refresh_token', 'ok', startedAt)
    } catch (thrown) {
      const error = toBoltTokenError(thrown)
      reportRequest(sessionId, 'refresh_token', error.code, startedAt)
      const failed: RefreshOutcome = {
        type: 'REFRESH_FAILED',
        now: clock(),
        error: toSessionError(error, clock()),
      }
      try {
        if ((await commit(sessionId, locked, [failed])) !== undefined) throw error
        // Fenced out. If the session still holds the token we presented, our failure is news
        // about it (a refused token stays refused: the session ends rather than let the next
        // caller present it again); otherwise the session moved on and the caller retries.
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
    const succeeded: RefreshOutcome = { type: 'REFRESH_SUCCEEDED', now: clock(), tokens }
    let saved: Committed | undefined
    try {
      saved = await commit(sessionId, locked, [succeeded])
    } catch (storeError) {
      // Bolt has rotated: the caller gets the new token, and this instance keeps it to save
      // on its next call. Other instances see the refresh in flight and, after the lease,
      // retry the spent refresh token once (DESIGN §5 rule 5).
      unsaved.set(sessionId, { version: locked.version, tokens })
      report(
        sessionId,
        storeError,
        'The refreshed tokens could not be saved. The caller got the new access token; this instance saves the tokens on its next call for this session.',
      )
      return tokens
    }
    const reportDowngrade = () => {
      const before = locked.snapshot.context.tokens
      if (before !== null && canManage(before) && !canManage(tokens)) {
        notify({ type: 'downgrade', sessionId, at: clock() })
      }
    }
    if (saved !== undefined) {
      reportDowngrade()
      return tokens
    }
    // Fenced out: another instance took the lease over, a login started, or a failed attempt
    // ended the lock. If the session still holds the refresh token we just spent, our
    // rotation is the newest: the machine keeps it (REFRESH_SUCCEEDED with `spent`) rather
    // than let anyone present the spent token again.
    try {
      if (!(await commitLate(sessionId, locked, refreshToken, succeeded))) return undefined
      reportDowngrade()
      return tokens
    } catch (storeError) {
      report(
        sessionId,
        storeError,
        'A refresh that lost its lock could not save its rotation. The caller got the new access token; other instances may present the spent refresh token again.',
      )
      return tokens
    }
  }

  /**
   * Applies the outcome of a refresh that lost its lock, as long as the session still holds
   * the refresh token that refresh spent: it is the newest news about that token. If a
   * failed login handed the lock back (`refresh` under our very lease), the outcome is
   * reported under the lease; otherwise it is reported late (with `spent`) and the machine
   * decides what it still changes. Retries while other writers keep changing the record;
   * `false` once the session moved on.
   */
  async function commitLate(
    sessionId: string,
    locked: LoadedSession,
    spent: Secret,
    outcome: RefreshOutcome,
  ): Promise<boolean> {
    const ours = locked.snapshot.context.lease
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await load(sessionId)
      const { value, context } = current.snapshot
      if (context.tokens?.refreshToken.equals(spent) !== true) return false
      const resumed = value === 'refresh' && sameLease(context.lease, ours)
      const event: TokenEvent =
        resumed && outcome.type === 'REFRESH_FAILED' ? outcome : { ...outcome, spent }
      const committed = await commit(sessionId, current, [event])
      if (committed !== undefined) return committed.version !== current.version
    }
    return false
  }

  /**
   * Commits the end of this instance's code exchange. A refresh that came back during the
   * login may have updated the kept tokens (a new version, same lease): that is no reason
   * to lose the login, so the events are applied to the newer record while our lease holds.
   */
  async function commitUnderOwnLease(
    sessionId: string,
    locked: Committed,
    events: TokenEvent[],
  ): Promise<Committed | undefined> {
    const lease = locked.snapshot.context.lease
    let base: LoadedSession = locked
    for (let attempt = 0; attempt < 5; attempt++) {
      const committed = await commit(sessionId, base, events)
      if (committed !== undefined) return committed
      base = await load(sessionId)
      if (
        base.snapshot.value !== 'codeExchange' ||
        !sameLease(base.snapshot.context.lease, lease)
      ) {
        return undefined
      }
    }
    return undefined
  }

  /** Exchanges a login-modal code and stores the result (first login or step-up). */
  async function exchange(
    sessionId: string,
    code: Secret,
    scope: string,
    state: string | undefined,
  ): Promise<LoadedSession> {
    let locked: Committed | undefined
    for (let attempt = 0; attempt < 5 && locked === undefined; attempt++) {
      const loaded = await load(sessionId)
      locked = await commit(sessionId, loaded, [
        {
          type: 'CODE_RECEIVED',
          now: clock(),
          lease: newLease(),
          code,
          scope,
          ...(state === undefined ? {} : { state }),
        },
      ])
    }
    if (locked === undefined) {
      throw new BoltTokenError(
        'SESSION_CHANGED',
        'The session kept changing while the login was being recorded; the code was not used. Retry the login.',
      )
    }
    let tokens: TokenSet
    const startedAt = performance.now()
    try {
      tokens = await endpoint.request(
        { grantType: 'authorization_code', code, scope, ...(state === undefined ? {} : { state }) },
        locked.snapshot.context.tokens,
        operationBudgetMs,
      )
      reportRequest(sessionId, 'authorization_code', 'ok', startedAt)
    } catch (thrown) {
      const error = toBoltTokenError(thrown)
      reportRequest(sessionId, 'authorization_code', error.code, startedAt)
      await commitUnderOwnLease(sessionId, locked, [
        { type: 'EXCHANGE_FAILED', now: clock(), error: toSessionError(error, clock()) },
      ])
      throw error
    }
    const stored = await commitUnderOwnLease(sessionId, locked, [
      { type: 'EXCHANGE_SUCCEEDED', now: clock(), tokens },
    ])
    if (stored === undefined) {
      throw new BoltTokenError(
        'SESSION_CHANGED',
        'A logout or another login for this session won while the code was being exchanged; the new tokens were discarded.',
      )
    }
    const before = locked.snapshot.context.tokens
    const couldManage =
      before !== null &&
      canManage(before) &&
      isAccessTokenFresh(before, clock(), options.refreshSkewMs)
    if (before !== null && !couldManage && canManage(tokens)) {
      notify({ type: 'stepUp', sessionId, at: clock() })
    }
    return stored
  }

  /** Ends the session; a refresh still in flight can no longer store its result. */
  async function logout(sessionId: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const loaded = await load(sessionId)
      const { value, context } = loaded.snapshot
      if (loaded.version === 0 || (value === 'unauthenticated' && context.tokens === null)) return
      if ((await commit(sessionId, loaded, [{ type: 'LOGOUT', now: clock() }])) !== undefined)
        return
    }
    throw new BoltTokenError(
      'STORE_UNAVAILABLE',
      'The session changed on every logout attempt; retry the logout.',
    )
  }

  return { read, records, revive, load, ensureFresh, ensureFreshWithoutRefresh, exchange, logout }
}

/** The interpreter instance type. */
export type Interpreter = ReturnType<typeof createInterpreter>
