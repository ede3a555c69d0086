import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import type { TokenStore } from '../../src/contracts.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import {
  createLifecycleTestModel,
  createManagerDriver,
  describeLifecycleEvent,
  type LifecyclePath,
  lifecyclePaths,
  lifecycleStates,
  lifecycleTransitions,
} from '../../src/testing/index.js'
import { startEmulator } from '../support/harness.js'
import { createTestRedis, describeRedis, randomPrefix } from '../support/redis.js'

const paths = lifecyclePaths()
const name = (path: LifecyclePath) =>
  path.steps
    .slice(1)
    .map((step) => describeLifecycleEvent(step.event))
    .join(' → ')

const redisStores: RedisStore[] = []
afterAll(async () => {
  await Promise.all(redisStores.map((store) => store.close()))
})

/** Every generated path against the real manager on `store`, then the coverage check. */
function runPaths(storeFor: (bolt: BoltEmulator) => TokenStore) {
  return () => {
    const exercised = new Set<string>()
    const statesSeen = new Set<string>()

    for (const path of paths) {
      it(name(path), async () => {
        const bolt = await startEmulator()
        const driver = createManagerDriver({ bolt, store: storeFor(bolt) })
        try {
          await path.test({ events: driver.events, states: driver.states })
        } finally {
          await driver.close()
        }
        for (const transition of driver.exercised) exercised.add(transition.id)
        for (const step of path.steps) statesSeen.add(String(step.state.value))
      })
    }

    it('exercised every state and every transition of the machine', () => {
      const missingStates = lifecycleStates().filter((state) => !statesSeen.has(state))
      const missingTransitions = lifecycleTransitions()
        .map((transition) => transition.id)
        .filter((id) => !exercised.has(id))
      expect(missingStates).toEqual([])
      expect(missingTransitions).toEqual([])
      expect(exercised.size).toBe(lifecycleTransitions().length)
    })
  }
}

describe(
  'lifecycle paths generated from tokenMachine, on the memory store',
  runPaths((bolt) => createMemoryStore({ clock: bolt.now })),
)

// Skips loudly (and fails under CI) without Redis, like every Redis suite.
describeRedis(
  'lifecycle paths generated from tokenMachine, on the Redis store',
  runPaths(() => {
    const store = createRedisStore(createTestRedis(), { prefix: randomPrefix() })
    redisStores.push(store)
    return store
  }),
)

describe('the coverage target itself', () => {
  it('is computed from the machine: six states, every guarded branch a transition', () => {
    const transitions = lifecycleTransitions()
    expect(lifecycleStates().sort()).toEqual([
      'codeExchange',
      'expired',
      'fullyScoped',
      'refresh',
      'unauthenticated',
      'viewOnly',
    ])
    // CODE_RECEIVED and LOGOUT from each of the six states, plus the states' own branches.
    expect(transitions.filter((t) => t.event === 'CODE_RECEIVED')).toHaveLength(6)
    expect(transitions.filter((t) => t.event === 'LOGOUT')).toHaveLength(6)
    const ids = transitions.map((t) => t.id)
    expect(ids).toContain('refresh --REFRESH_FAILED [refreshTokenRejected]#0--> unauthenticated')
    expect(ids).toContain('codeExchange --EXCHANGE_ABANDONED [leaseEnded]#0--> codeExchange')
    // The late outcomes, handled once at the top level, are targets from every state that
    // can hold the spent token; codeExchange handles them its own way.
    expect(ids.filter((id) => id.includes('--LATE_REFRESH_SUCCEEDED'))).toEqual([
      'codeExchange --LATE_REFRESH_SUCCEEDED [holdsSpentRefreshToken]#0--> codeExchange',
      'fullyScoped --LATE_REFRESH_SUCCEEDED [holdsSpentRefreshToken]#0--> viewOnly',
      'viewOnly --LATE_REFRESH_SUCCEEDED [holdsSpentRefreshToken]#0--> viewOnly',
      'expired --LATE_REFRESH_SUCCEEDED [holdsSpentRefreshToken]#0--> viewOnly',
      'refresh --LATE_REFRESH_SUCCEEDED [holdsSpentRefreshToken]#0--> viewOnly',
    ])
    expect(transitions).toHaveLength(42)
  })

  it('unauthenticated keeps no tokens in any state the model reaches (so no late answer is about it)', () => {
    const reached = createLifecycleTestModel().getShortestPaths({ allowDuplicatePaths: true })
    const unauthenticated = [...paths, ...reached]
      .flatMap((path) => [...path.steps.map((step) => step.state), path.state])
      .filter((state) => state.value === 'unauthenticated')
    expect(unauthenticated.length).toBeGreaterThan(0)
    for (const state of unauthenticated) expect(state.context.tokens).toBeNull()
  })

  it('shortest paths alone would miss transitions; the generated paths take them all', () => {
    expect(paths.length).toBeGreaterThan(lifecycleStates().length)
    const lastEvents = new Set(
      paths.map((path) =>
        describeLifecycleEvent(path.steps.at(-1)?.event ?? { type: 'LOGOUT', now: 0 }),
      ),
    )
    expect(lastEvents).toContain('LOGOUT')
    expect(lastEvents).toContain('REFRESH_FAILED(INVALID_GRANT)')
  })
})
