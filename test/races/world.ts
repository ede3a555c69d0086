// One run of the race tests: one emulator, one shared store, two or three token managers whose
// store calls and token requests go through fast-check's scheduler, and the bookkeeping that
// judges every outcome. Operations are started by the commands and not awaited (the scheduler
// interleaves them); each one's outcome is judged when it settles, against what the session
// really went through during the call (recorded from the store writes and from Bolt's answers).
import { randomBytes } from 'node:crypto'
import type { Scheduler } from 'fast-check'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import type { TokenStore } from '../../src/contracts.js'
import {
  createRecordCipher,
  type EncryptionOptions,
  isEncryptedRecord,
  type RecordCipher,
} from '../../src/crypto/encryption.js'
import {
  type BoltEmulator,
  emulatorManagerOptions,
  faults,
  type RecordedTokenRequest,
  tokenHash,
} from '../../src/emulator/index.js'
import { isBoltTokenError } from '../../src/errors.js'
import type { Lease } from '../../src/machine/token-machine.js'
import { decodeSessionRecord, type SessionRecord } from '../../src/manager/session-record.js'
import { createStoreKeys } from '../../src/manager/store-keys.js'
import {
  createTokenManager,
  type SessionStatus,
  type TokenManager,
} from '../../src/manager/token-manager.js'
import { startEmulator } from '../support/harness.js'
import { Ledger, type RejectedRefresh } from './ledger.js'
import {
  type StoreFault,
  type StoreHooks,
  scheduledStore,
  scheduledTransport,
} from './scheduled-io.js'

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
/**
 * One token request's deadline: a lease holder sends only if one whole attempt still fits in
 * its lease (issue 14), which `stall` puts to the test. Longer than the library's default
 * (10 s) because the emulator's clock also moves with real time: half of it (what a stall
 * leaves of a lease) must outlast the real time a run takes on a busy machine.
 */
const TIMEOUT_MS = 60_000
/**
 * What a clamped clock step leaves of the tightest lease, for the same reason: the clock keeps
 * moving in real time after the step, and a lease must not end by it.
 */
const REAL_TIME_MARGIN_MS = 20_000
/**
 * Codes outlive every clock jump too (two slow store answers of nearly a lease each, and
 * thirty 61-minute steps): the login modal's code does not expire in our hands. Sessions
 * (30 days) and tombstones (four leases) outlive them as well.
 */
const CODE_TTL_SECONDS = 28 * 24 * 3_600
/**
 * Refreshes are retried on 5xx (three attempts, the default) without waiting: a real backoff
 * would be wall-clock time the scheduler cannot order (see scheduledTransport).
 */
const RETRY = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 }

/**
 * The key rings of a run with `keyRings` (issue 14), mid-rotation as docs/security.md
 * prescribes it (two deployments): every instance lists both keys; M0 already writes with the
 * new one, M1 and M2 still write with the old one. (An instance that lacks the new key cannot
 * finish a login or refresh in a record written under it, and its lease holds the session
 * until it ends; the model's leases never end, so that deployment is covered by
 * test/protocol/logout-unreadable.test.ts instead, and documented as the reason for the two
 * deployments.)
 */
const KEY_RINGS = [
  { keys: ['old', 'new'], current: 'new' },
  { keys: ['old', 'new'], current: 'old' },
  { keys: ['old', 'new'], current: 'old' },
] as const

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
  /** Whether the managers encrypt with different key rings (see {@link KEY_RINGS}). */
  keyRings: boolean
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
  /** Slow store answers armed so far (each may jump the clock by nearly a lease). */
  stalls: number
}

export const initialModel = (): RaceModel => ({
  lastLogin: 0,
  logoutsSinceLogin: 0,
  revocations: 0,
  stalls: 0,
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
  /** The stored record was one this op's manager has no key for, at some moment during the call. */
  sawUnreadable: boolean
  /** The `lastError` codes the stored session showed at some moment during the call. */
  sawErrors: Set<string>
  /** Bolt answered an (injected, unprocessed) 503 during the call. */
  saw503: boolean
  /** The clock jumped into some lease's last `timeoutMs` during the call (see `stall`). */
  sawSqueeze: boolean
  /** A store failure was injected into a write of this op's manager during the call. */
  sawStoreFault: boolean
  /** getAccessToken: the family of the token returned. */
  family?: number
  /**
   * getAccessToken: the same manager's calls still running when this one began. A call that
   * needs a refresh joins the manager's refresh in flight (single-flight) and gets its
   * outcome, so what they saw since they began counts as seen by this call too.
   */
  joined: Op[]
}

/** What the checks need of a record a manager read or wrote (decrypted when encrypted). */
interface RecordFacts {
  tokenless: boolean
  ended: boolean
  /** The code of the record's `lastError`, if any. */
  error: string | undefined
  /** The encryption key the record was written with (`undefined`: plaintext). */
  keyId: string | undefined
  state: string | undefined
  /** The refresh token it holds. */
  refresh: string | undefined
  lease: Lease | null
  /** Every lease it names (its own, and an interrupted refresh's or login's). */
  leases: Lease[]
  /** For the labels: `viewOnly L2r1 !INVALID_GRANT @new`. */
  label: string
  /**
   * Set when a manager writes it: whether it holds a lease of the writer's own. Two leases of
   * one manager taken at one clock reading are equal (same owner, same end), so "a lease the
   * store did not show" cannot be told from the record: any lease of the writer counts.
   */
  takesLease?: boolean
}

const NO_RECORD: RecordFacts = {
  tokenless: true,
  ended: false,
  error: undefined,
  keyId: undefined,
  state: undefined,
  refresh: undefined,
  lease: null,
  leases: [],
  label: 'absent',
}

/**
 * A login that failed after a store failure was injected into its manager during the call may
 * have saved its tokens all the same: a save that landed but reported failure, read back too
 * late (a logout or another login overtook it: SESSION_CHANGED) or failing again
 * (STORE_UNAVAILABLE, "do not send the code again"). The library cannot tell, so its tokens
 * may be stored, handed out, or win over an overlapping logout, like a resolved login's.
 */
const mayHaveLanded = (op: Op) =>
  op.kind === 'exchangeCode' && op.ok === false && op.sawStoreFault && op.rejectedCode !== true

const leaseState = (state: string | undefined) => state === 'refresh' || state === 'codeExchange'

/** What the runs explored, summed over a test file (printed with RACE_STATS=1). */
export const coverage = {
  runs: 0,
  operations: 0,
  /** Runs in which some operation started while another was running. */
  runsWithOverlap: 0,
  fencedWrites: 0,
  refreshRequests: 0,
  /** Runs in which an exchangeCode started while another was running (overlapping logins). */
  runsWithOverlappingLogins: 0,
  /** Logins that resolved in codeExchange: a newer one held the lease, theirs was kept. */
  loginsKeptForNewer: 0,
  /** Runs whose managers had different key rings; ops that met a record they cannot read. */
  keyRingRuns: 0,
  unreadableOps: 0,
  /** Store failures injected, by kind; `deferred`: an armed one waited for a write it may hit. */
  storeFaults: { landThenFail: 0, failUnlanded: 0, deferred: 0 } as Record<string, number>,
  /** 503s Bolt answered (unprocessed). */
  served503: 0,
  /** Slow store answers that jumped the clock; ops running while a lease was squeezed. */
  stalls: 0,
  squeezedOps: 0,
  /** Clock steps cut short (not 61 min) so that no lease ends. */
  clampedClockSteps: 0,
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
  private current: RecordFacts = NO_RECORD
  private readonly writesInFlight = new Set<RecordFacts>()
  /** Per manager: the key ids it can read (`undefined`: no encryption in this run). */
  private readonly rings: Set<string>[] | undefined
  /** Reads every record of the run (it has every key). */
  private readonly cipher: RecordCipher | undefined
  /** Per manager: store failures armed for its next writes, oldest first. */
  private readonly armedFaults: StoreFault[][]
  /** Per manager: a login save failed without landing; no second one until that login ends. */
  private readonly recovering: boolean[]
  /** Per manager: slow answers armed for its next lease-taking writes. */
  private readonly armedStalls: number[]
  /** Which manager took each lease (lease owners are random ids). */
  private readonly ownerOf = new Map<string, number>()
  private served503 = 0
  private squeezed = false
  private overlappingLogins = false

  static async start(s: Scheduler, managers: number, options: WorldOptions): Promise<RaceWorld> {
    // close() closes it after each fast-check run, long before the harness would.
    const bolt = await startEmulator({ codeTtlSeconds: CODE_TTL_SECONDS })
    return new RaceWorld(s, bolt, options.openStore(bolt), managers, options)
  }

  private constructor(
    private readonly s: Scheduler,
    readonly bolt: BoltEmulator,
    private readonly storeHandle: StoreHandle,
    managerCount: number,
    options: WorldOptions,
  ) {
    this.ledger = new Ledger(
      () => bolt.now(),
      (rejected) => this.onRejectedRefresh(rejected),
      (status) => this.onServerError(status),
    )
    const wire = this.ledger.tracking(createFetchTransport())
    const common = {
      ...emulatorManagerOptions(bolt),
      leaseMs: LEASE_MS,
      timeoutMs: TIMEOUT_MS,
      retry: RETRY,
      pollIntervalMs: options.pollIntervalMs,
    }
    const keys = {
      old: randomBytes(32).toString('base64'),
      new: randomBytes(32).toString('base64'),
    }
    const ring = (index: number): EncryptionOptions => {
      const { keys: ids, current } = KEY_RINGS[index % KEY_RINGS.length] ?? KEY_RINGS[0]
      return { keys: Object.fromEntries(ids.map((id) => [id, keys[id]])), current }
    }
    this.rings = options.keyRings
      ? Array.from({ length: managerCount }, (_, index) => new Set(Object.keys(ring(index).keys)))
      : undefined
    const everyKey: EncryptionOptions = { keys, current: 'new' }
    this.cipher = options.keyRings
      ? createRecordCipher(everyKey, createStoreKeys(bolt.clientSecret))
      : undefined
    this.armedFaults = Array.from({ length: managerCount }, () => [])
    this.recovering = Array.from({ length: managerCount }, () => false)
    this.armedStalls = Array.from({ length: managerCount }, () => 0)
    const raw = storeHandle.store
    this.managers = Array.from({ length: managerCount }, (_, index) =>
      createTokenManager({
        ...common,
        ...(options.keyRings ? { encryption: ring(index) } : {}),
        store: scheduledStore(raw, s, `M${index}`, this.hooksFor(index)),
        http: scheduledTransport(
          wire,
          s,
          `M${index}`,
          this.ledger.describeRequest,
          this.ledger.describeResponse,
        ),
      }),
    )
    this.observer = createTokenManager({
      ...common,
      ...(options.keyRings ? { encryption: everyKey } : {}),
      store: raw,
      http: wire,
    })
    this.note(
      `${managerCount} managers share one store${options.keyRings ? `, with key rings ${this.managers.map((_, index) => `M${index} ${JSON.stringify(KEY_RINGS[index])}`).join(', ')}` : ''}`,
    )
    coverage.runs += 1
    if (options.keyRings) coverage.keyRingRuns += 1
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

  /**
   * Advances the clock 61 minutes, or less if a lease would end (only after a slow store
   * answer left one nearly spent): leases here end only by their holder finishing.
   */
  expire(): void {
    const room = this.leaseBound() - REAL_TIME_MARGIN_MS - this.bolt.now()
    const step = Math.min(PAST_EXPIRY_MS, room)
    if (step < PAST_EXPIRY_MS) coverage.clampedClockSteps += 1
    if (step > 0) this.bolt.advanceClock(step)
    this.note(
      step === PAST_EXPIRY_MS
        ? 'clock +61 min'
        : `clock +${Math.max(0, step)} ms (no lease may end)`,
    )
    this.checkSqueeze()
  }

  /** Bolt's next `times` token requests answer 503 without processing anything. */
  inject503(times: number): void {
    this.bolt.injectFault(faults.html(503), { times })
    this.note(`Bolt: the next ${times} token request(s) answer 503, unprocessed`)
  }

  /** Manager `index`'s next write (that may take it: see `faultFor`) fails as `fault` says. */
  armStoreFault(index: number, fault: StoreFault): void {
    const slot = index % this.managers.length
    this.armedFaults[slot]?.push(fault)
    this.note(
      `M${slot}: the next write ${fault === 'landThenFail' ? 'lands, then fails' : 'fails without landing'}`,
    )
  }

  /** Manager `index`'s next lease-taking write is answered slowly (see `stall`). */
  armStall(index: number): void {
    const slot = index % this.managers.length
    this.armedStalls[slot] = (this.armedStalls[slot] ?? 0) + 1
    this.note(`M${slot}: the answer to its next lease-taking write comes back slowly`)
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
    // A 503 no manager's request met would meet the forced refresh below.
    this.bolt.clearFaults()
    this.checkWire()
    await this.checkSession('all settled')
    const failedLogins = new Set(
      this.ops
        .filter((op) => op.kind === 'exchangeCode' && op.ok === false && !mayHaveLanded(op))
        .map((op) => op.login),
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
    const inFlight = [this.current, ...this.writesInFlight]
    const op: Op = {
      id: this.ops.length + 1,
      kind,
      manager: slot,
      ...extra,
      startSeq: ++this.seq,
      startNow: this.bolt.now(),
      sawTokenless: inFlight.some((facts) => facts.tokenless),
      sawEnded: inFlight.some((facts) => facts.ended),
      sawUnreadable: inFlight.some((facts) => this.unreadableTo(slot, facts)),
      sawErrors: new Set(
        inFlight.flatMap((facts) => (facts.error === undefined ? [] : [facts.error])),
      ),
      saw503: false,
      sawSqueeze: false,
      sawStoreFault: false,
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
    const loginRunning = [...this.active].some((other) => other.kind === 'exchangeCode')
    if (kind === 'exchangeCode' && loginRunning && !this.overlappingLogins) {
      this.overlappingLogins = true
      coverage.runsWithOverlappingLogins += 1
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
    // A login save that failed unlanded is written again by that same login: until it ends,
    // its manager gets no second such failure (see faultFor).
    if (
      ![...this.active].some(
        (other) => other.kind === 'exchangeCode' && other.manager === op.manager,
      )
    ) {
      this.recovering[op.manager] = false
    }
    if (op.sawUnreadable) coverage.unreadableOps += 1
    if (op.sawSqueeze) coverage.squeezedOps += 1
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
          coverage.loginsKeptForNewer += 1
        } else if (op.sawStoreFault && status.state !== 'unauthenticated') {
          // After a save that failed ambiguously the library answers the session as it read it
          // back, holding this login's tokens: later calls may have moved it on already (a
          // refresh started or done).
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
    // A call that needs a refresh joins its manager's refresh in flight and gets its outcome.
    const seen = (saw: (other: Op) => boolean) =>
      saw(op) || (op.kind === 'getAccessToken' && op.joined.some(saw))
    // Issue 14: a store failure injected into this manager's write, during this call, may
    // reach its caller (a write that landed and reported failure included: the library cannot
    // tell it from one that did not land). Never otherwise: the store never fails on its own.
    if (code === 'STORE_UNAVAILABLE') {
      return (
        seen((other) => other.sawStoreFault) ||
        'no store failure was injected into its manager during the call'
      )
    }
    switch (op.kind) {
      case 'getAccessToken':
        if (code === 'NOT_AUTHENTICATED') {
          // Key rings: a record this manager has no key for reads as absent (logged out).
          return (
            seen((other) => other.sawTokenless || other.sawUnreadable) ||
            'the stored session had tokens, readable by this manager, for the whole call'
          )
        }
        if (code === 'INVALID_GRANT') {
          return (
            seen((other) => other.sawEnded) ||
            'Bolt ended no session (revoked family) during the call'
          )
        }
        // A refresh is retried on 5xx; it fails with SERVER_ERROR only after 503s answered
        // during the call, or by waiting for a refresh that did (its recorded error).
        if (code === 'SERVER_ERROR') {
          return (
            seen((other) => other.saw503 || other.sawErrors.has(code)) ||
            'no 503 was answered, and no refresh failed with one, during the call'
          )
        }
        // A holder whose lease a slow store answer left nearly spent does not send (TIMEOUT).
        if (code === 'TIMEOUT') {
          return (
            seen((other) => other.sawSqueeze || other.sawErrors.has(code)) ||
            'no lease was squeezed, and no refresh failed with TIMEOUT, during the call'
          )
        }
        return 'a plain getAccessToken may only fail with NOT_AUTHENTICATED, INVALID_GRANT, SERVER_ERROR, TIMEOUT or STORE_UNAVAILABLE, each when its cause happened during the call'
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
        // A code exchange is never retried (the code may have been used): a 503 is its answer.
        if (code === 'SERVER_ERROR') return op.saw503 || 'no 503 was answered during the call'
        if (code === 'TIMEOUT') return op.sawSqueeze || 'no lease was squeezed during the call'
        return 'an exchange of a fresh code may only fail with SESSION_CHANGED, or with SERVER_ERROR, TIMEOUT or STORE_UNAVAILABLE when its cause happened during the call'
      }
      case 'logout':
        return 'a logout must not fail (but for a store failure injected during it)'
    }
  }

  // ---- what the store and Bolt went through ------------------------------------------------

  private hooksFor(index: number): StoreHooks<RecordFacts> {
    return {
      inspect: (value) => this.inspect(value),
      describe: (facts) => facts.label,
      observeWrite: this.observeWrite,
      faultFor: (facts) => this.faultFor(index, facts),
      injected: (facts, fault) => this.injected(index, facts, fault),
      landed: (facts) => this.landed(index, facts),
    }
  }

  private readonly observeWrite = (facts: RecordFacts) => {
    this.writesInFlight.add(facts)
    for (const op of this.active) {
      if (facts.tokenless) op.sawTokenless = true
      if (facts.ended) op.sawEnded = true
      if (facts.error !== undefined) op.sawErrors.add(facts.error)
      if (this.unreadableTo(op.manager, facts)) op.sawUnreadable = true
    }
    // What a record says went wrong must have a cause in this run.
    const cause: Record<string, boolean> = {
      SERVER_ERROR: this.served503 > 0,
      TIMEOUT: this.squeezed,
      STORE_UNAVAILABLE: false,
    }
    if (facts.error !== undefined && cause[facts.error] === false) {
      this.violations.push(`a manager recorded ${facts.error} in the session with no cause for it`)
    }
    return (written: boolean) => {
      this.writesInFlight.delete(facts)
      if (written) this.current = facts
      else coverage.fencedWrites += 1
    }
  }

  /** Decodes a stored value, decrypting it with every key of the run. */
  private async inspect(value: string): Promise<RecordFacts> {
    const keyId = isEncryptedRecord(value) ? value.split('.')[1] : undefined
    let plain: string | undefined = value
    if (keyId !== undefined) {
      plain = await this.cipher?.decrypt(value, SESSION).catch(() => undefined)
    }
    const record = plain === undefined ? undefined : decodeSessionRecord(plain)
    if (record === undefined) {
      this.violations.push(`the store holds a record the test cannot decode: ${value.slice(0, 80)}`)
      return NO_RECORD
    }
    return this.factsOf(record, keyId)
  }

  private factsOf(record: SessionRecord, keyId: string | undefined): RecordFacts {
    const { tokens, lastError, lease, interruptedRefresh, interruptedLogin } = record.context
    const error = lastError === null ? '' : ` !${lastError.code}`
    const key = keyId === undefined ? '' : ` @${keyId}`
    return {
      tokenless: record.value === 'unauthenticated' || tokens === null,
      ended: lastError?.code === 'INVALID_GRANT',
      error: lastError?.code,
      keyId,
      state: record.value,
      refresh: tokens?.refreshToken,
      lease,
      leases: [lease, interruptedRefresh, interruptedLogin].flatMap((held) =>
        held === null ? [] : [held],
      ),
      label: `${record.value}${tokens === null ? '' : ` ${this.ledger.name(tokens.refreshToken)}`}${error}${key}${DEBUG_LEASES ? leaseLabel(lease, interruptedRefresh, interruptedLogin) : ''}`,
    }
  }

  /** Whether manager `index` has no key for the record (key-ring runs only). */
  private unreadableTo(index: number, facts: RecordFacts): boolean {
    const ring = this.rings?.[index]
    return ring !== undefined && facts.keyId !== undefined && !ring.has(facts.keyId)
  }

  /**
   * The store failure manager `index`'s write gets, if one is armed and the write may take
   * it. Leases here never end by time (see LEASE_MS), so a failure whose only way out is a
   * lease running out would hang the run, not test the library (DESIGN §5 rule 5 and the
   * lease tests cover that way out). An armed failure waits for the next write that
   * avoids that:
   * - `landThenFail` skips a write that takes a lease (the caller, told it failed, would
   *   leave the lease it took to end by time);
   * - `failUnlanded` skips a write while the record names a lease of this manager (held, or
   *   interrupted by a newer login that hands the session back to it when it fails): the
   *   write may be that refresh's or login's outcome, and without it the lease would stay.
   *   Except a login's save, which the library reads back and writes again at once (once: no
   *   second failure on that manager while its logins run; a second one leaves the tokens
   *   unsaved on the instance, tied to a record version a failed newer login may have moved
   *   past, and the lease to end by time).
   */
  private faultFor(index: number, facts: RecordFacts): StoreFault | undefined {
    const { current } = this
    if (facts.lease !== null && leaseState(facts.state)) {
      // A lease no write has shown yet is the writer's (owners are random ids).
      if (!this.ownerOf.has(facts.lease.owner)) this.ownerOf.set(facts.lease.owner, index)
      facts.takesLease = this.ownerOf.get(facts.lease.owner) === index
    }
    const fault = this.armedFaults[index]?.[0]
    if (fault === undefined) return undefined
    // The write may record the outcome of a refresh or login of this manager that the record
    // still names (holding the lease, or interrupted by a newer login that may hand it back).
    const endsOwnLease = current.leases.some((lease) => this.ownerOf.get(lease.owner) === index)
    const loginSave =
      current.state === 'codeExchange' &&
      current.lease !== null &&
      this.ownerOf.get(current.lease.owner) === index &&
      !leaseState(facts.state) &&
      facts.refresh !== undefined &&
      facts.refresh !== current.refresh
    if (
      (fault === 'landThenFail' && facts.takesLease === true) ||
      (fault === 'failUnlanded' && endsOwnLease && (!loginSave || this.recovering[index] === true))
    ) {
      coverage.storeFaults.deferred = (coverage.storeFaults.deferred ?? 0) + 1
      return undefined
    }
    if (fault === 'failUnlanded' && endsOwnLease) this.recovering[index] = true
    return fault
  }

  private injected(index: number, facts: RecordFacts, fault: StoreFault): void {
    this.armedFaults[index]?.shift()
    coverage.storeFaults[fault] = (coverage.storeFaults[fault] ?? 0) + 1
    for (const op of this.active) if (op.manager === index) op.sawStoreFault = true
    this.note(
      `M${index}'s write of ${facts.label} ${fault === 'landThenFail' ? 'lands, then fails' : 'fails without landing'}`,
    )
  }

  private landed(index: number, facts: RecordFacts): void {
    if (facts.takesLease !== true) return
    const stalls = this.armedStalls[index] ?? 0
    if (stalls > 0) {
      this.armedStalls[index] = stalls - 1
      this.stall(index)
    }
  }

  /**
   * A slow store answer (issue 14): manager `index` took a lease, and the answer telling it
   * so comes back so late that the tightest lease in play has half a request's deadline
   * left. The scheduler orders events but has no latency, so the slowness is a clock jump
   * between the write and its answer (the managers' clock is Bolt's). The jump stops short
   * of every lease end, including leases a manager has computed but not yet written (taken
   * no earlier than its call began): a lease that ended would be taken over while its holder
   * may still present the refresh token, which is the lease-takeover tests' subject. The
   * holder must then either refresh (it had sent before the jump, or its lease is not the
   * tightest) or answer TIMEOUT without sending; nobody presents a refresh token twice.
   */
  private stall(index: number): void {
    const jump = this.leaseBound() - TIMEOUT_MS / 2 - this.bolt.now()
    if (jump <= 0) {
      this.note(`M${index}'s store answers slowly, but the leases leave no room for it`)
      return
    }
    this.bolt.advanceClock(jump)
    coverage.stalls += 1
    this.note(`M${index}'s store answers slowly: clock +${jump} ms`)
    this.checkSqueeze()
  }

  /** The earliest moment some lease in play ends (written, being written, or being computed). */
  private leaseBound(): number {
    const written = [this.current, ...this.writesInFlight].flatMap((facts) =>
      facts.leases.map((lease) => lease.until),
    )
    const computed = [...this.active].map((op) => op.startNow + LEASE_MS)
    return Math.min(...written, ...computed)
  }

  /** After a clock jump: running ops may meet a lease with less than one request's deadline. */
  private checkSqueeze(): void {
    if (this.leaseBound() - this.bolt.now() >= TIMEOUT_MS + 60_000) return
    this.squeezed = true
    for (const op of this.active) op.sawSqueeze = true
  }

  private onServerError(status: number): void {
    this.served503 += 1
    coverage.served503 += 1
    this.timeline.push(`${++this.seq}: Bolt answers ${status}, processing nothing`)
    for (const op of this.active) op.saw503 = true
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
      // A 503 (injected: Bolt answers none by itself) processed nothing: presenting the same
      // refresh token again, as the library's retry does, is not a reuse.
      if (request.status === 503) continue
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
        : this.ops.find(
            (op) =>
              (op.ok === true || mayHaveLanded(op)) &&
              op.kind === 'exchangeCode' &&
              (op.endSeq ?? 0) > lastLogout.startSeq,
          )
    if (
      lastLogout !== undefined &&
      laterLogin === undefined &&
      status.state !== 'unauthenticated'
    ) {
      this.violations.push(
        `${at}, but op#${lastLogout.id} (logout, seq ${lastLogout.startSeq}→${lastLogout.endSeq}) resolved and no login was running or started after it began: the logout was undone`,
      )
    }
    // Key rings: a login on a manager that cannot read the stored record takes the session
    // for absent and replaces it, and if it fails there is nothing to fall back on (that
    // manager never could read it): it may undo an earlier login, like a logout.
    const undoes = (op: Op) =>
      op.kind === 'logout' || (op.kind === 'exchangeCode' && op.sawUnreadable)
    const undisturbed = done('exchangeCode').find(
      (login) =>
        this.lastEndedSeq < login.startSeq &&
        this.ops.every(
          (op) =>
            op === login || !undoes(op) || (op.endSeq ?? Number.POSITIVE_INFINITY) < login.startSeq,
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
    if (login?.ok !== true && (login === undefined || !mayHaveLanded(login))) {
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

/** RACE_DEBUG_LEASES=1 shows each record's leases in the trace (owner, end mod 100000). */
const DEBUG_LEASES = process.env.RACE_DEBUG_LEASES === '1'

function leaseLabel(...leases: (Lease | null)[]): string {
  const short = (lease: Lease | null) =>
    lease === null ? '-' : `${lease.owner.slice(-4)}:${lease.until % 100_000}`
  return ` [${leases.map(short).join(' ')}]`
}
