/**
 * `stampede.*` and `peer.naive.stampede.*`: 4 backend processes × 50 callers on one expired
 * session sharing Redis; with the token manager, and with the straightforward simple-oauth2
 * refresh a merchant would otherwise write.
 *
 * @module
 */

import { AuthorizationCode } from 'simple-oauth2'
import { createRedisStore } from '../adapters/storage/redis.js'
import type { TokenStore } from '../src/contracts.js'
import { accountStatus } from '../src/emulator/index.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import { EMULATOR_DEFAULTS } from '../src/emulator/options.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import {
  type CallResult,
  type ParentMessage,
  WORKER_CONFIG_ENV,
  type WorkerConfig,
  type WorkerMessage,
} from '../test/multiprocess/protocol.js'
import { type Child, spawnChild } from './child.js'
import type { Section, SectionContext } from './context.js'
import type { RemoteEmulator } from './emulator.js'
import { heading, ms, table } from './format.js'
import { type Metrics, measured, notMeasured } from './metrics.js'
import type { RedisTarget } from './redis-target.js'
import { median, percentile } from './rounds.js'

/** The bench emulator runs on the defaults: the API key the managers' store keys derive from. */
const EMULATOR_SECRET = EMULATOR_DEFAULTS.clientSecret

/** The backend instance with the token manager, shared with the multi-process tests. */
const MANAGER_WORKER = '../test/multiprocess/worker.ts'

type Go = Extract<ParentMessage, { type: 'go' }>
type Results = Extract<WorkerMessage, { type: 'results' }>

const PROCESSES = 4
const CALLERS_PER_PROCESS = 50
/** Latency added by the emulator to each token request: a network between backend and Bolt. */
const DELAY_MS = 100
const HOUR_MS = 3_600_000
/** Past a token's hour and the default one-minute skew. */
const PAST_EXPIRY_MS = 61 * 60_000

/** One stampede, as the parent saw it. */
interface Run {
  /** Refresh requests the emulator received. */
  refreshes: number
  /** `invalid_grant` answers the emulator gave. */
  invalidGrants: number
  /** Callers that got no token, by error code. */
  errors: Record<string, number>
  /** Distinct access tokens handed out. */
  tokens: number
  p50: number
  p99: number
  max: number
  /** Whether the session still works afterwards (its stored access token reads the account). */
  sessionAlive: boolean
}

function failedCallers(run: Pick<Run, 'errors'>): number {
  return Object.values(run.errors).reduce((sum, count) => sum + count, 0)
}

function describeErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors)
  return entries.length === 0 ? '0' : entries.map(([code, count]) => `${count} ${code}`).join(', ')
}

async function spawnWorkers(
  file: string,
  config: WorkerConfig,
): Promise<Child<{ type: 'ready' }>[]> {
  return Promise.all(
    Array.from({ length: PROCESSES }, (_, i) =>
      spawnChild<{ type: 'ready' }>(file, {
        env: { [WORKER_CONFIG_ENV]: JSON.stringify(config) },
        name: `${file} #${i + 1}`,
      }),
    ),
  )
}

/** Sends `go` to the workers at once and gathers every caller's result. */
async function fire(workers: readonly Child<{ type: 'ready' }>[], go: Go): Promise<CallResult[]> {
  const answers = await Promise.all(workers.map((worker) => worker.request<Results>(go, 'results')))
  return answers.flatMap((answer) => answer.results)
}

/** Runs one stampede against the emulator and summarises it. */
async function stampedeRun(
  emulator: RemoteEmulator,
  workers: readonly Child<{ type: 'ready' }>[],
  go: Go,
  storedAccessToken: () => Promise<string | null>,
): Promise<Run> {
  await emulator.resetStats()
  await emulator.injectFault({ type: 'delay', ms: DELAY_MS }, PROCESSES * CALLERS_PER_PROCESS)
  let results: CallResult[]
  try {
    results = await fire(workers, go)
  } finally {
    await emulator.clearFaults()
  }
  const requests = await emulator.requests()
  const stats = await emulator.stats()
  const waits = results.map((result) => result.waitMs)
  const errors: Record<string, number> = {}
  for (const result of results) {
    if (!result.ok) errors[result.code] = (errors[result.code] ?? 0) + 1
  }
  const stored = await storedAccessToken()
  return {
    refreshes: requests.filter((request) => request.grantType === 'refresh_token').length,
    invalidGrants: stats.invalidGrants,
    errors,
    tokens: new Set(results.flatMap((result) => (result.ok ? [result.token] : []))).size,
    p50: percentile(waits, 50),
    p99: percentile(waits, 99),
    max: Math.max(...waits),
    sessionAlive: stored !== null && (await accountStatus(emulator.url, stored, 'read')) === 200,
  }
}

function runsTable(runs: readonly Run[], solo?: readonly number[]): string {
  const rows = runs.map((run, i) => [
    String(i + 1),
    ...(solo === undefined ? [] : [ms(solo[i] as number)]),
    String(run.refreshes),
    String(run.invalidGrants),
    describeErrors(run.errors),
    String(run.tokens),
    ms(run.p50),
    ms(run.p99),
    ms(run.max),
    run.sessionAlive ? 'yes' : 'NO',
  ])
  return table(
    [
      'run',
      ...(solo === undefined ? [] : ['solo refresh']),
      'refresh requests',
      'invalid_grant',
      'failed callers',
      'tokens',
      'p50 wait',
      'p99 wait',
      'max',
      'session alive',
    ],
    rows,
    [0, solo === undefined ? 4 : 5],
  )
}

/** The access token a session's stored record holds, read without going through a manager. */
async function storedAccessToken(store: TokenStore, sessionId: string): Promise<string | null> {
  const stored = await store.get(deriveStoreKey(EMULATOR_SECRET, sessionId))
  if (stored === undefined) return null
  const record = JSON.parse(stored.value) as { context: { tokens: { accessToken: string } | null } }
  return record.context.tokens?.accessToken ?? null
}

/** What every worker of a stampede needs: Redis under `prefix`, and the emulator. */
function workerConfig(
  emulator: SectionContext['emulator'],
  redis: RedisTarget,
  prefix: string,
): WorkerConfig {
  return {
    redisUrl: redis.url,
    prefix,
    ...emulatorManagerOptions(emulator),
    clockOffsetMs: 0,
    // The instances run flat out on a busy machine: give Redis time rather than fail a caller.
    commandTimeoutMs: 10_000,
    // An IPC message per lifecycle event would add to the waits being measured.
    forwardEvents: false,
  }
}

/** The token manager in 4 processes. */
async function managerStampede(
  { settings, emulator }: SectionContext,
  redis: RedisTarget,
): Promise<Metrics> {
  const prefix = `${redis.prefix}stampede:`
  const config = workerConfig(emulator, redis, prefix)
  const workers = await spawnWorkers(MANAGER_WORKER, config)
  const store = createRedisStore(redis.client(), { prefix })
  let loginOffsetMs = 0
  const manager = createTokenManager({
    ...emulatorManagerOptions(emulator),
    store,
    clock: () => Date.now() + loginOffsetMs,
  })
  try {
    const runs: Run[] = []
    const solo: number[] = []
    // Run 0 warms every instance up (its first fetch, the JIT, the Lua script) with a refresh
    // of its own, as a backend that has been serving for a while is; it is not reported.
    for (let run = 0; run <= settings.rounds; run++) {
      // Each run lives two hours after the last by every instance's clock.
      loginOffsetMs = run * 2 * HOUR_MS
      const clockOffsetMs = loginOffsetMs + PAST_EXPIRY_MS
      const soloWorkers =
        run === 0 ? workers : [workers[run % PROCESSES] as Child<{ type: 'ready' }>]
      let alone: Run | undefined
      for (const [i, worker] of soloWorkers.entries()) {
        const soloId = `solo-${run}-${i}`
        await manager.exchangeCode(soloId, { code: await emulator.login() })
        alone = await stampedeRun(
          emulator,
          [worker],
          { type: 'go', sessionId: soloId, concurrency: 1, clockOffsetMs },
          () => storedAccessToken(store, soloId),
        )
      }
      const sessionId = `stampede-${run}`
      await manager.exchangeCode(sessionId, { code: await emulator.login() })
      const crowd = await stampedeRun(
        emulator,
        workers,
        { type: 'go', sessionId, concurrency: CALLERS_PER_PROCESS, clockOffsetMs },
        () => storedAccessToken(store, sessionId),
      )
      if (run > 0 && alone !== undefined) {
        solo.push(alone.max)
        runs.push(crowd)
      }
    }
    console.log(
      `  bolt-token-lifecycle: ${PROCESSES} processes × ${CALLERS_PER_PROCESS} callers, each process its own ` +
        `ioredis client and manager; every token request delayed ${DELAY_MS} ms by the emulator; ` +
        `"solo refresh" is one caller alone on another expired session, just before, in one of the processes (in turn)`,
    )
    console.log(runsTable(runs, solo))
    const latency = median(solo)
    const p99 = median(runs.map((run) => run.p99))
    const worst = Math.max(...runs.map((run) => run.refreshes))
    const shape = `${PROCESSES} processes × ${CALLERS_PER_PROCESS} callers, Redis, token requests delayed ${DELAY_MS} ms, ${runs.length} runs`
    return {
      'stampede.refreshes': measured(
        worst,
        'requests',
        `refresh requests Bolt received per stampede, the most of any run (runs: ${runs.map((run) => run.refreshes).join(' ')}); every caller got a token: ${runs.every((run) => failedCallers(run) === 0 && run.tokens === 1) ? 'yes, the same one' : 'NO'}; ${shape}`,
      ),
      'stampede.p99-ms': measured(
        p99,
        'ms',
        `p99 wait of the ${PROCESSES * CALLERS_PER_PROCESS} callers, median of runs (${runs.map((run) => run.p99.toFixed(1)).join(' ')}); ${shape}`,
      ),
      'stampede.refresh-latency-ms': measured(
        latency,
        'ms',
        `one caller alone refreshing an expired session through the manager in one of the same processes (same ${DELAY_MS} ms delay), median of runs (${solo.map((value) => value.toFixed(1)).join(' ')})`,
      ),
      'stampede.sessions-lost': measured(
        runs.filter((run) => !run.sessionAlive).length,
        'runs',
        `runs after which the session's stored access token no longer read the account (of ${runs.length})`,
      ),
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.close()))
    await store.close()
  }
}

/** The naive simple-oauth2 refresh in 4 processes. */
async function naiveStampede(
  { settings, emulator }: SectionContext,
  redis: RedisTarget,
): Promise<Metrics> {
  const prefix = `${redis.prefix}naive:`
  const config = workerConfig(emulator, redis, prefix)
  const workers = await spawnWorkers('./naive-worker.ts', config)
  const client = redis.client()
  const oauth = new AuthorizationCode({
    client: { id: emulator.clientId, secret: emulator.clientSecret },
    auth: { tokenHost: emulator.url, tokenPath: '/v1/oauth/token' },
    options: { authorizationMethod: 'body' },
    http: {
      headers: { 'x-api-key': emulator.clientSecret, 'x-publishable-key': emulator.clientId },
    },
  })
  try {
    const runs: Run[] = []
    const seed = async (key: string) => {
      const login = await oauth.getToken({
        code: await emulator.login(),
        scope: 'bolt.account.manage openid',
      })
      // An hour later: the same tokens, expired.
      const expired = { ...login.token, expires_at: new Date(Date.now() - 1_000).toISOString() }
      await client.set(key, JSON.stringify(expired), 'PX', HOUR_MS)
    }
    // Each instance refreshes once on its own first (its HTTP client, the JIT), unreported.
    for (const [i, worker] of workers.entries()) {
      const warmUp: Go = {
        type: 'go',
        sessionId: `${prefix}warm-up-${i}`,
        concurrency: 1,
      }
      await seed(warmUp.sessionId)
      await worker.request<Results>(warmUp, 'results')
    }
    for (let run = 1; run <= settings.rounds; run++) {
      const key = `${prefix}session-${run}`
      await seed(key)
      const result = await stampedeRun(
        emulator,
        workers,
        { type: 'go', sessionId: key, concurrency: CALLERS_PER_PROCESS },
        async () => {
          const raw = await client.get(key)
          return raw === null
            ? null
            : ((JSON.parse(raw) as { access_token?: string }).access_token ?? null)
        },
      )
      runs.push(result)
    }
    console.log(
      `\n  naive (simple-oauth2 AccessToken.refresh(), tokens as JSON in Redis, no lock; callers of one ` +
        `process share one refresh), same processes × callers and delay:`,
    )
    console.log(runsTable(runs))
    const failed = runs.map(failedCallers)
    const shape = `${PROCESSES} processes × ${CALLERS_PER_PROCESS} callers, Redis, token requests delayed ${DELAY_MS} ms, ${runs.length} runs`
    return {
      'peer.naive.stampede.invalid-grants': measured(
        median(failed),
        'callers',
        `callers that got an error (invalid_grant) instead of a token, median of runs (${failed.join(' ')}); ${shape}`,
      ),
      'peer.naive.stampede.refreshes': measured(
        median(runs.map((run) => run.refreshes)),
        'requests',
        `refresh requests Bolt received per stampede, median of runs (${runs.map((run) => run.refreshes).join(' ')}); all but the first present a spent refresh token`,
      ),
      'peer.naive.stampede.sessions-lost': measured(
        runs.filter((run) => !run.sessionAlive).length,
        'runs',
        `runs after which the session's stored access token no longer read the account (of ${runs.length}): reuse detection revoked the whole session`,
      ),
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.close()))
  }
}

/** Runs both stampedes (Redis needed). */
export const stampede: Section = async (context) => {
  heading(
    `stampede: ${PROCESSES} processes × ${CALLERS_PER_PROCESS} callers on one expired session (Redis)`,
  )
  const { redis } = context
  if (redis === null) {
    const why = 'no Redis (set REDIS_URL or put redis-server on PATH)'
    console.log(`  SKIPPED: ${why}`)
    return {
      'stampede.refreshes': notMeasured('requests', why),
      'stampede.p99-ms': notMeasured('ms', why),
      'peer.naive.stampede.invalid-grants': notMeasured('callers', why),
    }
  }
  return { ...(await managerStampede(context, redis)), ...(await naiveStampede(context, redis)) }
}
