/**
 * The interpreter: runs the token machine against a shared store, and the only code that
 * moves a session from one state to another. It puts together the jobs of this folder,
 * each in its own file:
 *
 * - `session-io.ts`: read, decode, compare-and-set, watch; tombstones;
 * - `decide.ts`: the pure decision (return a token, throw, wait, or send events) and freshness;
 * - `refresh-protocol.ts`: the distributed refresh protocol of DESIGN §5 (its waiting side in
 *   `lease-waiter.ts`, the outcome of a refresh that lost its lease in `late-outcomes.ts`);
 * - `unsaved-tokens.ts`: Bolt's answers the store failed to save, kept until the next call;
 * - `machine-step.ts`: one machine transition, cheaply;
 * - `login-logout.ts`: code exchange and logout;
 * - `actions.ts`: the machine's actions, run by name, and the one call to Bolt.
 *
 * Here lives only the valid-token path: one store read and a clock comparison.
 *
 * @module
 */
import { isPromiseLike, type VersionedValue } from '../contracts.js'
import { notAuthenticated, scopeRequired, storeUnavailable } from '../errors.js'
import { canManage, type TokenSet } from '../machine/token-set.js'
import type { TokenEndpoint } from '../oauth/token-endpoint.js'
import type { Secret } from '../secret.js'
import { createTokenRequester } from './actions.js'
import { usableTokens } from './decide.js'
import { createLeaseIssuer } from './lease-issuer.js'
import type { LifecycleEvent } from './lifecycle-events.js'
import { createLoginLogout } from './login-logout.js'
import type { ResolvedOptions } from './options.js'
import type { CachedSession } from './record-cache.js'
import { createRefreshProtocol } from './refresh-protocol.js'
import type { RequestGate } from './request-gate.js'
import { createSessionIO, type LoadedSession } from './session-io.js'
import { reviveSnapshot, type SessionRecord } from './session-record.js'
import { createUnsavedTokens } from './unsaved-tokens.js'

/** What the interpreter needs. */
export interface InterpreterDeps {
  options: ResolvedOptions
  endpoint: TokenEndpoint
  /** This manager instance's lease identity. */
  owner: string
  /** The manager's one safe emit: it must never throw. */
  emit: (event: LifecycleEvent) => void
  /** The line this manager's refreshes wait in (issue 16: the expiry herd). */
  gate: RequestGate
  /**
   * Sees every rejection of {@link Interpreter.accessToken} and rethrows it (the metrics
   * count store errors and `SCOPE_REQUIRED`); the synchronous valid-token answer skips it.
   */
  onRejected?: ((error: unknown) => never) | undefined
}

/** What the token manager asks of the interpreter. */
export interface Interpreter {
  /**
   * An access token for the session, refreshed first when needed; with `wantsManage`, one
   * that may manage the account (`SCOPE_REQUIRED` otherwise).
   */
  accessToken(sessionId: string, wantsManage: boolean): Promise<string>
  /** Like {@link Interpreter.accessToken}, replacing `rejected`, a token Bolt refused. */
  replaceRejected(sessionId: string, rejected: string, wantsManage: boolean): Promise<string>
  /** Reads the session (the initial snapshot at version 0 when absent). Never writes. */
  load(sessionId: string): Promise<LoadedSession>
  /** Exchanges a login-modal code and stores the result (first login or step-up). */
  exchange(
    sessionId: string,
    code: Secret,
    scope: string,
    state: string | undefined,
  ): Promise<LoadedSession>
  /** Ends the session; a refresh still in flight can no longer store its result. */
  logout(sessionId: string): Promise<void>
}

/** Creates the interpreter of one token manager. */
export function createInterpreter(deps: InterpreterDeps): Interpreter {
  const { options, emit } = deps
  const io = createSessionIO({ options, emit })
  const requestTokens = createTokenRequester({ ...deps })
  const unsaved = createUnsavedTokens()
  const newLease = createLeaseIssuer(deps.owner, options)
  const shared = { ...deps, io, requestTokens, unsaved, newLease }
  const protocol = createRefreshProtocol(shared)
  const { exchange, logout } = createLoginLogout({ ...shared, saveSoon: protocol.saveSoon })
  const { store, records } = io
  const { clock, refreshSkewMs } = options
  // When the store measures TTLs on the manager's clock, one reading serves both.
  const sharesClock = store.clock === clock

  /** Counts a rejection (through `onRejected`) and throws it. */
  const reject: (error: unknown) => never =
    deps.onRejected ??
    ((error) => {
      throw error
    })
  /** `error` as a rejected promise, counted now: no promise hop. */
  function failed(error: unknown): Promise<never> {
    try {
      return reject(error)
    } catch (counted) {
      return Promise.reject(counted)
    }
  }
  /** A slow path's answer (a refresh, a decryption), its rejection counted. */
  const observed = (answer: Promise<string>) =>
    deps.onRejected === undefined ? answer : answer.then(undefined, reject)

  // Not async and no closure on the synchronous path: this is the valid-token path. Rejections
  // are counted where they arise, so a valid token costs no extra promise hop either way.
  function accessToken(sessionId: string, wantsManage: boolean): Promise<string> {
    let cached: CachedSession
    let now: number | undefined
    let stored: ReturnType<typeof store.get>
    try {
      // One lookup gives the store key and the last decoded record.
      cached = records.session(sessionId)
      now = sharesClock ? clock() : undefined
      stored = store.get(cached.key, now)
    } catch (cause) {
      return failed(storeUnavailable('read the session', cause))
    }
    if (isPromiseLike(stored)) {
      return Promise.resolve(stored).then(
        (value) => tokenOrSlowPath(sessionId, cached, value, wantsManage),
        (cause) => reject(storeUnavailable('read the session', cause)),
      )
    }
    try {
      const token = tokenFrom(sessionId, cached, stored, wantsManage, now)
      return typeof token === 'string' ? Promise.resolve(token) : observed(token)
    } catch (error) {
      return failed(error)
    }
  }

  /** {@link tokenFrom} after an asynchronous read, its failures counted. */
  function tokenOrSlowPath(
    sessionId: string,
    cached: CachedSession,
    stored: VersionedValue | undefined,
    wantsManage: boolean,
  ): string | Promise<string> {
    try {
      const token = tokenFrom(sessionId, cached, stored, wantsManage)
      return typeof token === 'string' ? token : observed(token)
    } catch (error) {
      return reject(error)
    }
  }

  /** The read is done: decode it (from the cache when unchanged) and compare the clock. */
  function tokenFrom(
    sessionId: string,
    cached: CachedSession,
    stored: VersionedValue | undefined,
    wantsManage: boolean,
    now?: number,
  ): string | Promise<string> {
    if (stored === undefined) throw notAuthenticated(null)
    const decoded = records.decodeIn(cached, sessionId, stored)
    if (decoded instanceof Promise) {
      return decoded.then((record) =>
        tokenFromRecord(sessionId, record, stored.version, wantsManage),
      )
    }
    return tokenFromRecord(sessionId, decoded, stored.version, wantsManage, now)
  }

  function tokenFromRecord(
    sessionId: string,
    record: SessionRecord | undefined,
    version: number,
    wantsManage: boolean,
    now = clock(),
  ): string | Promise<string> {
    if (record !== undefined) {
      const usable = usableTokens(record.value, record.context.tokens, now, refreshSkewMs)
      if (usable !== null) {
        if (wantsManage && !canManage(usable)) throw scopeRequired()
        return usable.accessToken
      }
      // A refresh never grants manage, so asking for it of a stale session cannot succeed.
      if (wantsManage && record.value !== 'codeExchange' && record.value !== 'unauthenticated') {
        throw scopeRequired()
      }
    }
    // What was just read is the protocol's first read: a refresh costs no second one.
    const read = record === undefined ? undefined : { snapshot: reviveSnapshot(record), version }
    const fresh = wantsManage
      ? protocol.ensureFreshWithoutRefresh(sessionId, undefined, read)
      : protocol.ensureFresh(sessionId, undefined, read)
    return fresh.then((tokens) => handOut(tokens, wantsManage))
  }

  return {
    accessToken,
    async replaceRejected(sessionId, rejected, wantsManage) {
      // A refresh cannot replace a manage token: a manage caller only reports the refusal.
      const fresh = wantsManage
        ? protocol.ensureFreshWithoutRefresh(sessionId, rejected)
        : protocol.ensureFresh(sessionId, rejected)
      return handOut(await fresh, wantsManage)
    },
    load: io.load,
    exchange,
    logout,
  }
}

/** The access token of `tokens`, if they give what the caller needs. */
function handOut(tokens: TokenSet, wantsManage: boolean): string {
  if (wantsManage && !canManage(tokens)) throw scopeRequired()
  return tokens.accessToken.reveal()
}
