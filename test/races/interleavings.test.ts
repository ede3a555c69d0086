// Property-based race tests of DESIGN §5: two or three token managers share one store (memory,
// and Redis when there is one) and one emulator, and fast-check's scheduler decides the order in
// which their store calls and token requests reach the store / Bolt and come back.
//
// Commands: M<i>.exchangeCode (a fresh bolt.login() code, or one Bolt rejects: a failed
// step-up), M<i>.getAccessToken, M<i>.logout,
// bolt.advanceClock(61 min) and bolt.revokeSession(newest login). A command starts its operation
// and does not wait for it: operations overlap.
//
// Invariants (world.ts):
//   1. every refresh token reaches Bolt at most once, and Bolt never detects a reuse (checked
//      after every command);
//   2. after settling, a stored session holds the newest refresh token Bolt issued for its login,
//      that login's exchangeCode resolved, and a forced refresh after expiry presents it and
//      works (or, for a login the test revoked, ends the session with INVALID_GRANT);
//   3. Bolt answers invalid_grant only for a family the test revoked, and a caller sees
//      INVALID_GRANT only if Bolt ended the session during its call; NOT_AUTHENTICATED only if
//      the stored session had no tokens at some moment during the call; exchangeCode fails only
//      with SESSION_CHANGED, and only when another login or logout overlapped it; a plain
//      getAccessToken never fails with SCOPE_REQUIRED (or anything else), never returns a token
//      Bolt did not issue, one that had expired before the call began, or one of a login whose
//      exchangeCode failed;
//   4. a logout that resolved is never undone: unless a login that was still running when the
//      logout began (or began later) resolved, the session reads unauthenticated — at every
//      quiet moment and after settling (a login that overlaps the logout may win: either order
//      is a valid outcome);
//   5. a login that resolved, with no logout overlapping or following it and no revocation
//      ending the session since, is still there;
//   6. at a quiet moment (no operation running) no lease is left behind.
//
// Runs: RACE_RUNS (default 200) on memory, RACE_REDIS_RUNS (default RACE_RUNS / 5) on Redis;
// RACE_STATS=1 prints what the runs explored. Replay a failure with what fast-check prints:
//   RACE_SEED=<seed> RACE_PATH=<path> RACE_REPLAY_PATH=<replayPath> npx vitest run test/races
// (replayPath is printed inside the counterexample's commands, after `replayPath=`).
//
// Two library bugs these runs found, both fixed (keep them as regressions):
//
// 1. A step-up login whose code Bolt rejects, overlapping another instance's refresh, made the
//    library present the rotated-away refresh token again (the login's failure restored the
//    kept tokens without the refresh's lock), and Bolt's reuse detection logged the shopper
//    out. Fixed in the machine (a login remembers the refresh it interrupted and hands the
//    session back to it) and in the interpreter (a refresh that lost its lock still records
//    its outcome while the session holds the token it presented). The `M<i>.exchangeCode(a
//    code Bolt rejects)` command exercises it in every run.
// 2. watchSession lost a wake-up (a change notified while its re-read was in flight). Run
//    with RACE_POLL_MS=60000 (waiters then wake only by notification) to check it.

import fc from 'fast-check'
import { afterAll, describe, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { createRedisStore } from '../../adapters/storage/redis.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { EMULATOR_DEFAULTS } from '../../src/emulator/options.js'
import { deriveStoreKey } from '../../src/manager/store-keys.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'
import { raceCommands } from './commands.js'
import { actUntilIoSettles } from './scheduled-io.js'
import { coverage, initialModel, RaceWorld, SESSION, type StoreHandle } from './world.js'

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const RUNS = envInt('RACE_RUNS', 200)
const REDIS_RUNS = envInt('RACE_REDIS_RUNS', Math.max(1, Math.round(RUNS / 5)))
const MAX_COMMANDS = 30
const POLL_MS = envInt('RACE_POLL_MS', 20)

const replay: { seed?: number; path?: string } = {}
if (process.env.RACE_SEED !== undefined) replay.seed = Number(process.env.RACE_SEED)
if (process.env.RACE_PATH !== undefined) replay.path = process.env.RACE_PATH

const scenario = fc.integer({ min: 2, max: 3 }).chain((managers) =>
  fc.record({
    managers: fc.constant(managers),
    commands: raceCommands({
      managers,
      maxCommands: MAX_COMMANDS,
      size: 'large',
      replayPath: process.env.RACE_REPLAY_PATH,
    }),
  }),
)

function interleavings(openStore: (bolt: BoltEmulator) => StoreHandle) {
  const options = { openStore, pollIntervalMs: POLL_MS }
  return fc.asyncProperty(
    fc.scheduler({ act: actUntilIoSettles }),
    scenario,
    async (s, { managers, commands }) => {
      const world = await RaceWorld.start(s, managers, options)
      try {
        await fc.scheduledModelRun(s, () => ({ model: initialModel(), real: world }), commands)
        await world.settle()
        await world.checkFinal()
      } finally {
        await world.close()
      }
    },
  )
}

if (process.env.RACE_STATS === '1') {
  afterAll(() => {
    console.info(`race coverage: ${JSON.stringify(coverage, null, 2)}`)
  })
}

const timeoutFor = (runs: number) => 30_000 + runs * 250

describe('interleavings of two or three managers on one memory store', () => {
  it(
    `keep every invariant over ${RUNS} scheduled runs`,
    async () => {
      await fc.assert(
        interleavings((bolt) => ({
          store: createMemoryStore({ clock: bolt.now }),
          close: async () => {},
        })),
        { numRuns: RUNS, ...replay },
      )
    },
    timeoutFor(RUNS),
  )
})

describeRedis('interleavings of two or three managers on one Redis store', () => {
  it(
    `keep every invariant over ${REDIS_RUNS} scheduled runs`,
    async () => {
      const redis = createTestRedis()
      await fc.assert(
        interleavings(() => {
          const store = createRedisStore(redis, { prefix: randomPrefix() })
          return {
            store,
            close: async () => {
              await store
                .delete(deriveStoreKey(EMULATOR_DEFAULTS.clientSecret, SESSION))
                .catch(() => {})
              await store.close()
            },
          }
        }),
        { numRuns: REDIS_RUNS, ...replay },
      )
    },
    timeoutFor(REDIS_RUNS),
  )
})
