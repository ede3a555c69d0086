/**
 * Runs lifecycle paths against a real {@link TokenManager} and the Bolt emulator: each
 * machine event becomes what would really cause it (a login, a clock jump, a held token
 * request released or failed, a crashed instance, a logout), and each state is checked
 * against what a merchant can observe (the persisted record, `getStatus`, what
 * `getAccessToken` returns or rejects with, what the Account API allows).
 *
 * @module
 */
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { HttpTransport, TokenStore } from '../contracts.js'
import {
  accountStatus as accountStatusAt,
  type BoltEmulator,
  emulatorManagerOptions,
  faults,
} from '../emulator/index.js'
import { isBoltTokenError } from '../errors.js'
import type { TokenEvent, TokenState } from '../machine/token-machine.js'
import {
  canManage,
  isAccessTokenFresh,
  SCOPE_MANAGE,
  SCOPE_OPENID,
  SCOPE_VIEW,
} from '../machine/token-set.js'
import {
  decodeSessionRecord,
  type SessionRecord,
  type TokenSnapshot,
} from '../manager/session-record.js'
import { deriveStoreKey } from '../manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../manager/token-manager.js'
import { rejectPromiseArguments } from '../promise-argument.js'
import { createGatedTransport, type HeldRequest } from './gated-transport.js'
import { type LifecycleTransition, transitionTaken } from './lifecycle-model.js'
import { storeOnClock } from './store-on-clock.js'

/**
 * Options of {@link createManagerDriver}.
 * @group Testing
 */
export interface ManagerDriverOptions {
  /** A running emulator; the managers use its URL, credentials and clock. */
  bolt: BoltEmulator
  /**
   * The store every instance shares; its leases follow the emulator's clock ({@link storeOnClock}).
   * @default a new memory store on the emulator's clock
   */
  store?: TokenStore
  /** The real transport behind the gate. @default createFetchTransport() */
  http?: HttpTransport
  /** @default 'model-session' */
  sessionId?: string
}

/** What a step's operation ended with. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

interface InFlight {
  request: HeldRequest
  outcome: Promise<Outcome>
  kind: 'exchange' | 'refresh'
}

/**
 * One executor per machine event: what really causes it.
 * @group Testing
 */
export type EventExecutors = {
  [K in TokenEvent['type']]: (step: { event: { type: K } }) => Promise<void>
}

/** The test model hands executors the event typed by its name only; the payload is there. */
function payload<K extends TokenEvent['type']>(step: {
  event: { type: K }
}): Extract<TokenEvent, { type: K }> {
  return step.event as Extract<TokenEvent, { type: K }>
}
/**
 * One check per state: what a merchant can observe in it.
 * @group Testing
 */
export type StateChecks = Record<TokenState, (snapshot: TokenSnapshot) => Promise<void>>

/**
 * The driver: pass `events` and `states` to a path's `test()`; call `close()` afterwards.
 * @group Testing
 */
export interface ManagerDriver {
  events: EventExecutors
  states: StateChecks
  /** Transitions the path took, as executed (in order). */
  exercised: LifecycleTransition[]
  /** Releases everything still held and waits (briefly) for abandoned operations. */
  close(): Promise<void>
}

const LEASE_MS = 120_000
const SKEW_MS = 60_000

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

function settle(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
}

function codeOf(outcome: Outcome): string {
  if (outcome.ok) return 'success'
  return isBoltTokenError(outcome.error) ? outcome.error.code : String(outcome.error)
}

/**
 * Creates a driver for one path (one session, fresh instances per operation).
 * @group Testing
 */
export function createManagerDriver(options: ManagerDriverOptions): ManagerDriver {
  rejectPromiseArguments('createManagerDriver', { options }, (message) => new TypeError(message))
  const { bolt } = options
  const sessionId = options.sessionId ?? 'model-session'
  // Leases end when the emulator's clock says, as the paths jump it (see storeOnClock).
  const store =
    options.store === undefined
      ? createMemoryStore({ clock: bolt.now })
      : storeOnClock(options.store, bolt.now)
  const gate = createGatedTransport(options.http ?? createFetchTransport())
  // Each operation runs on a new instance, as requests spread over backend instances do; it
  // also keeps an abandoned operation's in-process single-flight from capturing the next one.
  const instance = (): TokenManager =>
    createTokenManager({
      ...emulatorManagerOptions(bolt),
      store,
      http: gate,
      refreshSkewMs: SKEW_MS,
      timeoutMs: LEASE_MS - 10_000,
      leaseMs: LEASE_MS,
      // Each model event is one answer from Bolt; retries are tested on their own.
      retry: false,
    })
  const observer = instance()
  const exercised: LifecycleTransition[] = []
  const abandoned: Promise<Outcome>[] = []
  let inFlight: InFlight | undefined
  let model: TokenSnapshot | undefined

  /** Refreshes whose instance moved on (a login started, the lease was taken over), newest last. */
  const lateRefreshes: InFlight[] = []
  /** Logins whose lease a newer login took, newest last. */
  const lateExchanges: InFlight[] = []

  function abandon(): void {
    if (inFlight !== undefined) {
      abandoned.push(inFlight.outcome)
      if (inFlight.kind === 'refresh') lateRefreshes.push(inFlight)
      else lateExchanges.push(inFlight)
    }
    inFlight = undefined
  }

  async function start(operation: Promise<unknown>, kind: InFlight['kind']): Promise<void> {
    abandon()
    const outcome = settle(operation)
    const request = await Promise.race([
      gate.nextRequest(),
      outcome.then((ended) => {
        throw new Error(`the operation ended (${codeOf(ended)}) without sending a token request`)
      }),
    ])
    inFlight = { request, outcome, kind }
  }

  async function finish(expected: string, release: (request: HeldRequest) => void): Promise<void> {
    check(inFlight !== undefined, 'no token request is in flight')
    const { request, outcome } = inFlight
    inFlight = undefined
    release(request)
    const ended = codeOf(await outcome)
    check(ended === expected, `expected the operation to end with ${expected}, got ${ended}`)
  }

  /**
   * Makes Bolt answer `request` so that its operation ends with `expected`: `success`,
   * `INVALID_GRANT` (Bolt revoked the family) or `SERVER_ERROR` (a 502), and lets it go.
   */
  function answerAs(expected: string, request: HeldRequest): void {
    if (expected === 'INVALID_GRANT') bolt.revokeSession(request.field('refresh_token') ?? '')
    else if (expected !== 'success') bolt.injectFault(faults.html(502))
    request.release()
  }

  /** The newest refresh that lost its lease comes back now, ending with `expected`. */
  async function finishLate(expected: string): Promise<void> {
    const late = lateRefreshes.pop()
    check(late !== undefined, 'no refresh is in flight to come back late')
    answerAs(expected, late.request)
    const ended = codeOf(await late.outcome)
    check(ended === expected, `the late refresh ended with ${ended}, not ${expected}`)
  }

  function record(event: TokenEvent): void {
    check(model !== undefined, 'a state must be checked before an event')
    const taken = transitionTaken(model, event)
    if (taken !== undefined) exercised.push(taken)
  }

  function jumpPastLease(): void {
    bolt.advanceClock(LEASE_MS + 1_000)
  }

  const events: EventExecutors = {
    async CODE_RECEIVED(step) {
      await start(instance().exchangeCode(sessionId, { code: bolt.login().code }), 'exchange')
      record(payload(step))
    },
    async EXCHANGE_SUCCEEDED(step) {
      const manage = canManage(payload(step).tokens)
      await finish('success', (request) =>
        request.release(manage ? {} : { scope: `${SCOPE_VIEW} ${SCOPE_OPENID}` }),
      )
      record(payload(step))
    },
    async EXCHANGE_FAILED(step) {
      const resumesLogin = model !== undefined && model.context.interruptedLogin !== null
      const resumesRefresh =
        !resumesLogin &&
        model !== undefined &&
        transitionTaken(model, payload(step))?.to === 'refresh'
      bolt.injectFault(faults.html(502))
      await finish('SERVER_ERROR', (request) => request.release())
      // The login or refresh this login interrupted holds the lease again; its request is
      // still held.
      if (resumesLogin) {
        inFlight = lateExchanges.pop()
        check(inFlight !== undefined, 'no interrupted login to resume')
      } else if (resumesRefresh) {
        inFlight = lateRefreshes.pop()
        check(inFlight !== undefined, 'no interrupted refresh to resume')
      }
      record(payload(step))
    },
    async LATE_EXCHANGE_SUCCEEDED(step) {
      // The older login's answer comes back while the newer one holds the lease: its tokens
      // are kept for the newer login to fall back on, and its exchangeCode succeeds.
      const late = lateExchanges.pop()
      check(late !== undefined, 'no login is in flight to come back late')
      const manage = canManage(payload(step).tokens)
      late.request.release(manage ? {} : { scope: `${SCOPE_VIEW} ${SCOPE_OPENID}` })
      const ended = codeOf(await late.outcome)
      check(ended === 'success', `the late login ended with ${ended}, not success`)
      record(payload(step))
    },
    async LATE_EXCHANGE_FAILED(step) {
      const late = lateExchanges.pop()
      check(late !== undefined, 'no login is in flight to come back late')
      bolt.injectFault(faults.html(502))
      late.request.release()
      const ended = codeOf(await late.outcome)
      check(ended === 'SERVER_ERROR', `the late login ended with ${ended}, not SERVER_ERROR`)
      record(payload(step))
    },
    async TIME_ADVANCED(step) {
      bolt.advanceClock(61 * 60_000)
      record(payload(step))
    },
    async ACCESS_TOKEN_REJECTED(step) {
      // Bolt refused the session's access token (a 401 on the Account API). A caller needing
      // manage reports it: the session is expired everywhere, and no refresh starts for it.
      const token = (await storedRecord())?.context.tokens?.accessToken
      check(token !== undefined, 'no access token is stored to be refused')
      const reported = instance().getAccessToken(sessionId, {
        scope: SCOPE_MANAGE,
        rejectedToken: token,
      })
      await rejects(reported, 'SCOPE_REQUIRED', 'reporting a refused token')
      record(payload(step))
    },
    async REFRESH_STARTED(step) {
      await start(instance().getAccessToken(sessionId), 'refresh')
      record(payload(step))
    },
    async REFRESH_SUCCEEDED(step) {
      await finish('success', (request) => answerAs('success', request))
      record(payload(step))
    },
    async REFRESH_FAILED(step) {
      const { code } = payload(step).error
      await finish(code, (request) => answerAs(code, request))
      record(payload(step))
    },
    async LATE_REFRESH_SUCCEEDED(step) {
      // Bolt rotates, the instance is fenced out, finds its spent token still stored, and
      // keeps the new tokens.
      await finishLate('success')
      record(payload(step))
    },
    async LATE_REFRESH_FAILED(step) {
      await finishLate(payload(step).error.code)
      record(payload(step))
    },
    async LEASE_TAKEN_OVER(step) {
      // The instance holding the lease is gone: its request stays unanswered for good.
      abandon()
      jumpPastLease()
      await start(instance().getAccessToken(sessionId), 'refresh')
      record(payload(step))
    },
    async EXCHANGE_ABANDONED(step) {
      // The exchanging instance is gone. A login that had interrupted a refresh hands the
      // session back to that refresh, whose lease has ended too: the next caller takes it
      // over and presents it.
      const resumes = model?.context.interruptedRefresh !== null
      abandon()
      jumpPastLease()
      if (resumes) {
        await start(instance().getAccessToken(sessionId), 'refresh')
      } else {
        // Recover the abandoned login without starting a refresh (a manage caller never does).
        const ended = await settle(instance().getAccessToken(sessionId, { scope: SCOPE_MANAGE }))
        const code = codeOf(ended)
        check(
          ['success', 'SCOPE_REQUIRED', 'NOT_AUTHENTICATED'].includes(code),
          `recovering an abandoned login ended with ${code}`,
        )
      }
      record(payload(step))
    },
    async LOGOUT(step) {
      abandon()
      await instance().logout(sessionId)
      record(payload(step))
    },
  }

  const accountStatus = (token: string, action: 'read' | 'write') =>
    accountStatusAt(bolt.url, token, action)

  async function rejects(operation: Promise<unknown>, code: string, what: string): Promise<void> {
    const ended = codeOf(await settle(operation))
    check(ended === code, `${what}: expected ${code}, got ${ended}`)
  }

  /** The session's record as stored, decoded; `undefined` when there is none. */
  async function storedRecord(): Promise<SessionRecord | undefined> {
    const stored = await store.get(deriveStoreKey(bolt.clientSecret, sessionId))
    if (stored === undefined) return undefined
    const persisted = decodeSessionRecord(stored.value)
    check(persisted !== undefined, 'the stored record does not decode')
    return persisted
  }

  async function checkState(snapshot: TokenSnapshot): Promise<void> {
    model = snapshot
    const persisted = await storedRecord()
    const tokens = persisted?.context.tokens ?? null
    const modelTokens = snapshot.context.tokens
    check(
      (tokens === null) === (modelTokens === null),
      `tokens: model ${modelTokens !== null}, store ${tokens !== null}`,
    )
    if (tokens !== null && modelTokens !== null) {
      check(
        canManage(tokens) === canManage(modelTokens),
        'the stored tokens and the model disagree on manage',
      )
    }
    check(
      (persisted?.context.lease ?? null) === null
        ? snapshot.context.lease === null
        : snapshot.context.lease !== null,
      'the model and the store disagree on whether a lease is held',
    )

    // Expiry is not written when it happens: a stored fullyScoped/viewOnly record whose token
    // has run out reads as expired, exactly as the machine's TIME_ADVANCED says. The model's
    // own times are abstract, so both sides are judged by the real token's freshness.
    const stale = tokens !== null && !isAccessTokenFresh(tokens, bolt.now(), SKEW_MS)
    const effective = (state: TokenState): TokenState =>
      (state === 'fullyScoped' || state === 'viewOnly') && stale ? 'expired' : state
    const expected = effective(snapshot.value as TokenState)
    const held = effective(persisted?.value ?? 'unauthenticated')
    check(
      held === expected,
      `the model is in ${expected} but the store holds ${held} (${persisted?.value ?? 'no record'})`,
    )

    const observable = expected
    const status = await observer.getStatus(sessionId)
    check(
      status.state === observable,
      `getStatus().state is ${status.state}, expected ${observable}`,
    )
    check(
      status.canManage === (observable === 'fullyScoped'),
      `getStatus().canManage is ${status.canManage} in ${observable}`,
    )

    switch (observable) {
      case 'fullyScoped': {
        const token = await observer.getAccessToken(sessionId, { scope: SCOPE_MANAGE })
        check(
          (await accountStatus(token, 'write')) === 200,
          'a fully scoped token could not write the account',
        )
        break
      }
      case 'viewOnly': {
        const token = await observer.getAccessToken(sessionId)
        check(
          (await accountStatus(token, 'read')) === 200,
          'a view-only token could not read the account',
        )
        check(
          (await accountStatus(token, 'write')) === 403,
          'a view-only token was allowed to write',
        )
        await rejects(
          observer.getAccessToken(sessionId, { scope: SCOPE_MANAGE }),
          'SCOPE_REQUIRED',
          'manage from viewOnly',
        )
        break
      }
      case 'expired':
      case 'refresh':
        await rejects(
          observer.getAccessToken(sessionId, { scope: SCOPE_MANAGE }),
          'SCOPE_REQUIRED',
          `manage from ${observable}`,
        )
        break
      case 'unauthenticated':
        await rejects(
          observer.getAccessToken(sessionId),
          'NOT_AUTHENTICATED',
          'a token from unauthenticated',
        )
        break
      case 'codeExchange':
        break
    }
  }

  const states = Object.fromEntries(
    (
      ['unauthenticated', 'codeExchange', 'fullyScoped', 'expired', 'refresh', 'viewOnly'] as const
    ).map((state) => [state, checkState]),
  ) as StateChecks

  return {
    events,
    states,
    exercised,
    async close() {
      abandon()
      gate.close()
      await Promise.race([
        Promise.allSettled(abandoned),
        new Promise((resolve) => setTimeout(resolve, 2_000)),
      ])
    },
  }
}
