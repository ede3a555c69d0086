// One run of the race tests: one emulator, one shared store, two or three token managers whose
// store calls and token requests go through fast-check's scheduler, and the bookkeeping that
// judges every outcome. Operations are started by the commands and not awaited (the scheduler
// interleaves them); each one's outcome is judged when it settles, against what the session
// really went through during the call (recorded from the store writes and from Bolt's answers).
import type { Scheduler } from 'fast-check'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import type { TokenStore } from '../../src/contracts.js'
import {
  type BoltEmulator,
  emulatorManagerOptions,
  type RecordedTokenRequest,
  tokenHash,
} from '../../src/emulator/index.js'
import { isBoltTokenError } from '../../src/errors.js'
import { decodeSessionRecord } from '../../src/manager/session-record.js'
import {
  createTokenManager,
  type SessionStatus,
  type TokenManager,
} from '../../src/manager/token-manager.js'
import { startEmulator } from '../support/harness.js'
import { Ledger, type RejectedRefresh } from './ledger.js'
import { scheduledStore, scheduledTransport } from './scheduled-io.js'

/** The one shopper session every manager works on. */
export const SESSION = 's1'
/** One hour and a minute: past any access token's life and the refresh skew. */
export const PAST_EXPIRY_MS = 61 * 60_000
/**
 * Leases outlive every clock jump of a run. A jump stands for time passing between requests,
 * not for a lease holder that stalled for an hour: with the default lease (15 s) a jump in the
 * middle of a refresh would hand the lease over and replay the spent refresh token, which
 * DESIGN §5 rule 5 answers with `invalid_grant` when the server has no grace window. That path
 * is the lease-takeover tests' subject (test/manager/single-flight.test.ts); here a lease only
 * ends by its holder finishing.
 */
const LEASE_MS = 7 * 24 * 3_600_000
/** Codes outlive every clock jump too: the login modal's code does not expire in our hands. */
const CODE_TTL_SECONDS = 7 * 24 * 3_600

/** The store a run uses, and how to clean it up. */
export interface StoreHandle {
  store: TokenStore
  close(): Promise<void>
}

/** How a run is set up. */
export interface WorldOptions {
  openStore: (bolt: BoltEmulator) => StoreHandle
  /**
   * The managers' poll fallback while they wait for another one's lease. Waiters are woken by
   * the store's change notifications; the poll only covers a lost one (see the lost wake-up
   * finding in interleavings.test.ts).
   */
  pollIntervalMs: number
}

/**
 * The fast-check model: just enough to decide which commands apply. What a caller may be
 * told is judged from what happened during its call (see `RaceWorld.acceptable`), because
 * with operations in flight "logged in" is not one fact but an interval.
 */
export interface RaceModel {
  /** Index of the last login started (1-based; 0: none yet). */
  lastLogin: number
  /** Logouts started since that login. */
  logoutsSinceLogin: number
  /** Families revoked at Bolt so far. */
  revocations: number
}

export const initialModel = (): RaceModel => ({
  lastLogin: 0,
  logoutsSinceLogin: 0,
  revocations: 0,
})

type OpKind = 'exchangeCode' | 'getAccessToken' | 'logout'

interface Op {
  id: number
  kind: OpKind
  manager: number
  /** exchangeCode: the login index of its code. */
  login?: number
  /** exchangeCode: a code Bolt rejects. */
  rejectedCode?: boolean
  startSeq: number
  endSeq?: number
  /** The emulator clock when the call began. */
  startNow: number
  ok?: boolean
  outcome?: string
  /** The stored session had no tokens at some moment during the call. */
  sawTokenless: boolean
  /** The stored session was ended by Bolt (`invalid_grant`) at some moment during the call. */
  sawEnded: boolean
  /** getAccessToken: the family of the token returned. */
  family?: number
  /**
   * getAccessToken: the same manager's calls still running when this one began. A call that
   * needs a refresh joins the manager's refresh in flight (single-flight) and gets its
   * outcome, so what they saw since they began counts as seen by this call too.
   */
  joined: Op[]
}

interface RecordFacts {
  tokenless: boolean
  ended: boolean
}

/** What the runs explored, summed over a test file (printed with RACE_STATS=1). */
export const coverage = {
  runs: 0,
  operations: 0,
  /** Runs in which some operation started while another was running. */
  runsWithOverlap: 0,
  fencedWrites: 0,
  refreshRequests: 0,
  outcomes: {} as Record<string, number>,
}

const hasTokens = (status: SessionStatus) =>
  status.state === 'fullyScoped' || status.state === 'viewOnly' || status.state === 'expired'

export class RaceWorld {
  readonly ledger: Ledger
  private readonly managers: TokenManager[]
  /** Reads and refreshes outside the scheduler, for the checks. */
  private readonly observer: TokenManager
  private readonly ops: Op[] = []
  private readonly active = new Set<Op>()
  private readonly pending: Promise<void>[] = []
  private readonly timeline: string[] = []
  private readonly violations: string[] = []
  private seq = 0
  private logins = 0
  private lastEndedSeq = 0
  private overlapped = false
  private current: RecordFacts = { tokenless: true, ended: false }
  private readonly writesInFlight = new Set<RecordFacts>()

  static async start(s: Scheduler, managers: number, options: WorldOptions): Promise<RaceWorld> {
    // close() closes it after each fast-check run, long before the harness would.
    const bolt = await startEmulator({ codeTtlSeconds: CODE_TTL_SECONDS })
    return new RaceWorld(s, bolt, options.openStore(bolt), managers, options.pollIntervalMs)
  }

  private constructor(
    private readonly s: Scheduler,
    readonly bolt: BoltEmulator,
    private readonly storeHandle: StoreHandle,
    managerCount: number,
    pollIntervalMs: number,
  ) {
    this.ledger = new Ledger(
      () => bolt.now(),
      (rejected) => this.onRejectedRefresh(rejected),
    )
    const wire = this.ledger.tracking(createFetchTransport())
    const common = {
      ...emulatorManagerOptions(bolt),
      leaseMs: LEASE_MS,
      pollIntervalMs,
    }
    const raw = storeHandle.store
    this.managers = Array.from({ length: managerCount }, (_, index) =>
      createTokenManager({
        ...common,
        store: scheduledStore(raw, s, `M${index}`, this.describeRecord, this.observeWrite),
        http: scheduledTransport(
          wire,
          s,
          `M${index}`,
          this.ledger.describeRequest,
          this.ledger.describeResponse,
        ),
      }),
    )
    this.observer = createTokenManager({ ...common, store: raw, http: wire })
    this.note(`${managerCount} managers share one store`)
    coverage.runs += 1
  }

  // ---- commands -------------------------------------------------------------------------

  /** Starts `exchangeCode` with a fresh code (or one Bolt rejects) on manager `index`. */
  exchangeCode(index: number, rejectedCode = false): void {
    const login = ++this.logins
    const code = rejectedCode ? `code_rejected_${login}` : this.bolt.login().code
    this.ledger.nameCode(code, login)
    this.start('exchangeCode', index, { login, rejectedCode }, (manager) =>
      manager.exchangeCode(SESSION, { code }),
    )
  }

  getAccessToken(index: number): void {
    this.start('getAccessToken', index, {}, (manager) => manager.getAccessToken(SESSION))
  }

  logout(index: number): void {
    this.start('logout', index, {}, (manager) => manager.logout(SESSION))
  }

  expire(): void {
    this.bolt.advanceClock(PAST_EXPIRY_MS)
    this.note('clock +61 min')
  }

  /** Revokes, at Bolt, the family of the newest login Bolt issued tokens for. */
  revokeNewestLogin(): void {
    const family = this.ledger.newestFamily()
    const token = family === undefined ? undefined : this.ledger.newestRefresh(family)
    if (family === undefined || token === undefined) {
      this.note('revoke: Bolt has issued no tokens yet, nothing to revoke')
      return
    }
    this.ledger.revoked.add(family)
    this.bolt.revokeSession(token)
    this.note(`revoke login ${family} at Bolt`)
  }

  /** The checks that hold after every command; at a quiet moment, the session checks too. */
  async afterCommand(): Promise<void> {
    this.checkWire()
    this.throwIfViolated()
    if (this.active.size === 0) {
      await this.checkSession('quiet moment')
      this.throwIfViolated()
    }
  }

  /** Lets every operation finish (the scheduler keeps choosing the order). */
  async settle(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    const settled = Promise.allSettled(this.pending).then(() => 'settled' as const)
    const result = await this.s.waitFor(Promise.race([settled, timedOut]))
    clearTimeout(timer)
    if (result === 'timeout') {
      const stuck = [...this.active].map((op) => this.describeOp(op)).join('; ')
      throw new Error(
        `operations did not settle within ${timeoutMs} ms: ${stuck}\n${this.describe()}`,
      )
    }
    await this.s.waitAll()
  }

  /** The checks once everything settled, ending with a forced refresh of what is stored. */
  async checkFinal(): Promise<void> {
    this.checkWire()
    await this.checkSession('all settled')
    const failedLogins = new Set(
      this.ops.filter((op) => op.kind === 'exchangeCode' && op.ok === false).map((op) => op.login),
    )
    for (const op of this.ops) {
      if (op.kind === 'getAccessToken' && op.ok === true && failedLogins.has(op.family)) {
        this.violation(op, `handed out a token of login ${op.family}, whose exchangeCode failed`)
      }
    }
    this.throwIfViolated()
    await this.checkStoredTokensAreNewest()
    this.checkWire()
    this.throwIfViolated()
  }

  async close(): Promise<void> {
    coverage.refreshRequests += this.bolt.requests.filter(
      (request) => request.grantType === 'refresh_token',
    ).length
    await Promise.allSettled([this.bolt.close(), this.storeHandle.close()])
  }

  describe(): string {
    return ['timeline (seq: event):', ...this.timeline.map((line) => `  ${line}`)].join('\n')
  }

  // ---- operations -----------------------------------------------------------------------

  private start(
    kind: OpKind,
    index: number,
    extra: Pick<Op, 'login' | 'rejectedCode'>,
    call: (manager: TokenManager) => Promise<unknown>,
  ): void {
    const slot = index % this.managers.length
    const manager = this.managers[slot] as TokenManager
    const inFlight = [...this.writesInFlight]
    const op: Op = {
      id: this.ops.length + 1,
      kind,
      manager: slot,
      ...extra,
      startSeq: ++this.seq,
      startNow: this.bolt.now(),
      sawTokenless: this.current.tokenless || inFlight.some((facts) => facts.tokenless),
      sawEnded: this.current.ended || inFlight.some((facts) => facts.ended),
      joined:
        kind === 'getAccessToken'
          ? [...this.active].filter(
              (other) => other.kind === 'getAccessToken' && other.manager === slot,
            )
          : [],
    }
    if (this.active.size > 0 && !this.overlapped) {
      this.overlapped = true
      coverage.runsWithOverlap += 1
    }
    this.ops.push(op)
    this.active.add(op)
    coverage.operations += 1
    this.timeline.push(`${op.startSeq}: ▶ ${this.describeOp(op)}`)
    let promise: Promise<unknown>
    try {
      promise = call(manager)
    } catch (error) {
      promise = Promise.reject(error)
    }
    this.pending.push(
      promise.then(
        (value) => this.finish(op, { ok: true, value }),
        (error: unknown) => this.finish(op, { ok: false, error }),
      ),
    )
  }

  private finish(op: Op, result: { ok: true; value: unknown } | { ok: false; error: unknown }) {
    op.endSeq = ++this.seq
    op.ok = result.ok
    this.active.delete(op)
    if (result.ok) this.judgeSuccess(op, result.value)
    else {
      const code = isBoltTokenError(result.error) ? result.error.code : String(result.error)
      op.outcome = `✗ ${code}`
      const verdict = this.acceptable(op, code)
      if (verdict !== true) {
        const message = result.error instanceof Error ? result.error.message : ''
        this.violation(op, `rejected with ${code} (${message}), but ${verdict}`)
      }
    }
    this.timeline.push(`${op.endSeq}: ◀ ${this.describeOp(op)} ${op.outcome ?? ''}`)
    const key = `${op.kind} ${op.outcome?.startsWith('✗') === true ? op.outcome : 'ok'}`
    coverage.outcomes[key] = (coverage.outcomes[key] ?? 0) + 1
  }

  /** Whether another login ran at some moment while `op` did (it may have taken op's lease). */
  private loginRanDuring(op: Op): boolean {
    return this.ops.some(
      (other) =>
        other !== op &&
        other.kind === 'exchangeCode' &&
        (op.endSeq === undefined || other.startSeq < op.endSeq) &&
        (other.endSeq === undefined || other.endSeq > op.startSeq),
    )
  }

  private judgeSuccess(op: Op, value: unknown): void {
    switch (op.kind) {
      case 'getAccessToken': {
        const issued = typeof value === 'string' ? this.ledger.access.get(value) : undefined
        if (issued === undefined) {
          op.outcome = '→ ?'
          this.violation(op, 'returned an access token Bolt never issued')
          return
        }
        op.family = issued.family
        op.outcome = `→ ${issued.name}`
        const began = Math.min(op.startNow, ...op.joined.map((other) => other.startNow))
        if (issued.expiresAt <= began) {
          this.violation(op, `returned ${issued.name}, which had expired before the call began`)
        }
        return
      }
      case 'exchangeCode': {
        const status = value as SessionStatus
        op.outcome = `→ ${status.state}`
        if (op.rejectedCode === true) this.violation(op, 'a code Bolt rejects was accepted')
        else if (status.state === 'codeExchange' && this.loginRanDuring(op)) {
          // A newer login took this one's lease: this one's tokens are kept for it to fall
          // back on (a later check sees the session logged in, whichever succeeds).
        } else if (status.state !== 'fullyScoped' || !status.canManage) {
          this.violation(op, `a login should leave the session fullyScoped, not ${status.state}`)
        }
        return
      }
      case 'logout':
        op.outcome = '→ ok'
        return
    }
  }

  /** `true`, or why this error must not reach a caller of this operation. */
  private acceptable(op: Op, code: string): true | string {
    switch (op.kind) {
      case 'getAccessToken':
        if (code === 'NOT_AUTHENTICATED') {
          return (
            op.sawTokenless ||
            op.joined.some((other) => other.sawTokenless) ||
            'the stored session had tokens for the whole call'
          )
        }
        if (code === 'INVALID_GRANT') {
          return (
            op.sawEnded ||
            op.joined.some((other) => other.sawEnded) ||
            'Bolt ended no session (revoked family) during the call'
          )
        }
        return 'a plain getAccessToken may only fail with NOT_AUTHENTICATED or INVALID_GRANT'
      case 'exchangeCode': {
        if (code === 'SESSION_CHANGED') {
          const rival = this.ops.find(
            (other) =>
              other !== op &&
              (other.kind === 'exchangeCode' || other.kind === 'logout') &&
              other.startSeq < (op.endSeq ?? Number.POSITIVE_INFINITY) &&
              (other.endSeq ?? Number.POSITIVE_INFINITY) > op.startSeq,
          )
          return rival !== undefined || 'no other login or logout overlapped it'
        }
        if (code === 'INVALID_GRANT' && op.rejectedCode === true) return true
        return 'an exchange of a fresh code may only fail with SESSION_CHANGED'
      }
      case 'logout':
        return 'a logout must not fail'
    }
  }

  // ---- what the store and Bolt went through ------------------------------------------------

  private readonly observeWrite = (value: string) => {
    const facts = this.factsOf(value)
    this.writesInFlight.add(facts)
    for (const op of this.active) {
      if (facts.tokenless) op.sawTokenless = true
      if (facts.ended) op.sawEnded = true
    }
    return (written: boolean) => {
      this.writesInFlight.delete(facts)
      if (written) this.current = facts
      else coverage.fencedWrites += 1
    }
  }

  private factsOf(value: string): RecordFacts {
    const record = decodeSessionRecord(value)
    if (record === undefined) {
      this.violations.push(`a manager wrote a record the test cannot decode: ${value.slice(0, 80)}`)
      return { tokenless: true, ended: false }
    }
    return {
      tokenless: record.value === 'unauthenticated' || record.context.tokens === null,
      ended: record.context.lastError?.code === 'INVALID_GRANT',
    }
  }

  private readonly describeRecord = (value: string): string => {
    const record = decodeSessionRecord(value)
    if (record === undefined) return 'undecodable'
    const tokens = record.context.tokens
    const error = record.context.lastError === null ? '' : ` !${record.context.lastError.code}`
    return `${record.value}${tokens === null ? '' : ` ${this.ledger.name(tokens.refreshToken)}`}${error}`
  }

  private onRejectedRefresh(rejected: RejectedRefresh): void {
    const name = this.ledger.name(rejected.token)
    if (rejected.revoked) {
      this.lastEndedSeq = ++this.seq
      this.timeline.push(
        `${this.seq}: Bolt rejects refresh(${name}): login ${rejected.family} revoked`,
      )
      return
    }
    this.timeline.push(`${++this.seq}: Bolt rejects refresh(${name}) — never revoked by the test`)
    this.violations.push(
      `Bolt answered invalid_grant to refresh(${name}) of login ${rejected.family}, which the test never revoked`,
    )
  }

  /** The refresh token a logged request presented: Bolt's log has only its hash, the ledger has every token. */
  private presentedToken(request: RecordedTokenRequest): string | undefined {
    const hash = request.refreshTokenHash
    if (hash === undefined) return undefined
    for (const token of this.ledger.familyOfRefresh.keys())
      if (tokenHash(token) === hash) return token
    return hash
  }

  // ---- invariants -----------------------------------------------------------------------

  /** Invariant 1: each refresh token reaches Bolt at most once; Bolt never saw a reuse. */
  private checkWire(): void {
    const seen = new Map<string, number>()
    const requests = this.bolt.requests
    for (const [index, request] of requests.entries()) {
      if (request.grantType !== 'refresh_token' || request.refreshTokenHash === undefined) continue
      const first = seen.get(request.refreshTokenHash)
      if (first !== undefined) {
        this.violations.push(
          `refresh token ${this.ledger.name(this.presentedToken(request))} was presented to Bolt twice (requests #${first + 1} and #${index + 1}; answers ${requests[first]?.status} and ${request.status})`,
        )
      }
      seen.set(request.refreshTokenHash, index)
    }
    const { reuseDetected } = this.bolt.stats
    if (reuseDetected !== 0) {
      this.violations.push(`Bolt detected ${reuseDetected} refresh-token reuse(s)`)
    }
  }

  /**
   * With no operation running: no lease is left behind (6), a completed logout is not undone
   * (4), and a completed login that nothing could have undone is still there (5).
   */
  private async checkSession(when: string): Promise<void> {
    const status = await this.observer.getStatus(SESSION)
    const at = `at a ${when} (seq ${this.seq}) the session reads ${status.state}`
    if (status.state === 'codeExchange' || status.state === 'refresh') {
      this.violations.push(`${at}: a lease outlived every operation`)
    }
    const done = (kind: OpKind) => this.ops.filter((op) => op.kind === kind && op.ok === true)
    // A login still running when a logout began may win over it (either order is a valid
    // linearization); one that had completed before the logout began must not.
    const lastLogout = done('logout').reduce<Op | undefined>(
      (last, op) => (last === undefined || op.startSeq > last.startSeq ? op : last),
      undefined,
    )
    const laterLogin =
      lastLogout === undefined
        ? undefined
        : done('exchangeCode').find((op) => (op.endSeq ?? 0) > lastLogout.startSeq)
    if (
      lastLogout !== undefined &&
      laterLogin === undefined &&
      status.state !== 'unauthenticated'
    ) {
      this.violations.push(
        `${at}, but op#${lastLogout.id} (logout, seq ${lastLogout.startSeq}→${lastLogout.endSeq}) resolved and no login was running or started after it began: the logout was undone`,
      )
    }
    const undisturbed = done('exchangeCode').find(
      (login) =>
        this.lastEndedSeq < login.startSeq &&
        this.ops.every(
          (op) => op.kind !== 'logout' || (op.endSeq ?? Number.POSITIVE_INFINITY) < login.startSeq,
        ),
    )
    if (undisturbed !== undefined && !hasTokens(status)) {
      this.violations.push(
        `${at}, but op#${undisturbed.id} (login ${undisturbed.login}) completed and no logout or revocation could have undone it`,
      )
    }
  }

  /**
   * Invariant 2: what is stored is the newest refresh token Bolt issued for a login whose
   * exchange completed, and it works: after expiry one refresh presents it and succeeds
   * (or, for a family the test revoked, ends the session with INVALID_GRANT).
   */
  private async checkStoredTokensAreNewest(): Promise<void> {
    const status = await this.observer.getStatus(SESSION)
    if (!hasTokens(status)) return
    const mark = this.bolt.requests.length
    // The forced refresh rotates the token: compare with what Bolt had issued before it.
    const newestBefore = new Map(
      [...this.ledger.chains].map(([family, chain]) => [family, chain.at(-1)]),
    )
    this.bolt.advanceClock(PAST_EXPIRY_MS)
    let outcome: { ok: true; token: string } | { ok: false; code: string }
    try {
      outcome = { ok: true, token: await this.observer.getAccessToken(SESSION) }
    } catch (error) {
      outcome = { ok: false, code: isBoltTokenError(error) ? error.code : String(error) }
    }
    const sent = this.bolt.requests.slice(mark)
    const request = sent[0]
    const forced = 'the forced refresh after settling'
    if (sent.length !== 1 || request?.grantType !== 'refresh_token') {
      this.violations.push(
        `${forced} sent ${sent.length} requests (${sent.map((r) => r.grantType).join(', ')}), expected one refresh`,
      )
      return
    }
    const presented = this.presentedToken(request) ?? ''
    const family = this.ledger.familyOfRefresh.get(presented)
    const name = this.ledger.name(presented)
    if (family === undefined) {
      this.violations.push(`the session stores refresh token ${name}, which Bolt never issued`)
      return
    }
    const newest = newestBefore.get(family)
    if (presented !== newest) {
      this.violations.push(
        `the session stores ${name}, but Bolt's newest refresh token for login ${family} is ${this.ledger.name(newest)}`,
      )
    }
    const login = this.ops.find((op) => op.kind === 'exchangeCode' && op.login === family)
    if (login?.ok !== true) {
      this.violations.push(
        `the session stores tokens of login ${family}, whose exchangeCode ${login?.outcome ?? 'never ran'}`,
      )
    }
    const after = await this.observer.getStatus(SESSION)
    if (this.ledger.revoked.has(family)) {
      if (outcome.ok || outcome.code !== 'INVALID_GRANT' || after.state !== 'unauthenticated') {
        this.violations.push(
          `${forced} of revoked login ${family} gave ${outcome.ok ? 'a token' : outcome.code} and left ${after.state}; expected INVALID_GRANT and unauthenticated`,
        )
      }
      return
    }
    if (!outcome.ok) {
      this.violations.push(`${forced} presented ${name} and failed with ${outcome.code}`)
      return
    }
    const issued = this.ledger.access.get(outcome.token)
    if (issued?.family !== family || after.state !== 'viewOnly') {
      this.violations.push(
        `${forced} returned ${issued?.name ?? 'an unknown token'} and left ${after.state}; expected a token of login ${family} and viewOnly`,
      )
    }
  }

  // ---- reporting ------------------------------------------------------------------------

  private describeOp(op: Op): string {
    const what =
      op.kind === 'exchangeCode'
        ? `exchangeCode(${op.rejectedCode === true ? 'rejected ' : ''}code#${op.login})`
        : op.kind
    return `op#${op.id} M${op.manager}.${what}`
  }

  private note(event: string): void {
    this.timeline.push(`${++this.seq}: ${event}`)
  }

  private violation(op: Op, message: string): void {
    this.violations.push(`${this.describeOp(op)} ${message}`)
  }

  private throwIfViolated(): void {
    if (this.violations.length === 0) return
    throw new Error(
      `${this.violations.map((v) => `✗ ${v}`).join('\n')}\n${this.describe()}\n(the scheduler's task order is in fast-check's report below)`,
    )
  }
}
