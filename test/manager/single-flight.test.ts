import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { isBoltTokenError } from '../../src/errors.js'
import { encodeSessionRecord, reviveSnapshot } from '../../src/manager/session-record.js'
import {
  logIn,
  managerFor,
  PAST_EXPIRY_MS,
  startEmulator,
  storeKey,
  transports,
} from '../support/harness.js'
import { rejection } from '../support/rejection.js'

describe.each(transports)('single-flight refresh over $name', ({ create }) => {
  it('100 concurrent getAccessToken on an expired session cause one refresh request', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)

    const results = await Promise.all(
      Array.from({ length: 100 }, () => tokens.getAccessToken('s1')),
    )

    expect(new Set(results).size).toBe(1)
    expect(bolt.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1)
    expect(bolt.stats).toEqual(expect.objectContaining({ refreshes: 1, reuseDetected: 0 }))
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
  })

  it('two managers sharing one memory store refresh once; the loser waits and reads the winner’s token', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const first = managerFor(bolt, create(), { store })
    const second = managerFor(bolt, create(), { store })
    await logIn(bolt, first, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    // Slow the refresh down so that the second manager certainly finds it in flight.
    bolt.injectFault({ type: 'delay', ms: 300 })

    const fromFirst = first.getAccessToken('s1')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const results = await Promise.all([
      fromFirst,
      ...Array.from({ length: 50 }, () => second.getAccessToken('s1')),
      ...Array.from({ length: 50 }, () => first.getAccessToken('s1')),
    ])

    expect(new Set(results).size).toBe(1)
    expect(bolt.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1)
    expect(bolt.stats.reuseDetected).toBe(0)
    // Only the winner committed the refresh; the other only read.
    expect(first.transitions.slice(2).map((t) => t.to)).toEqual(['expired', 'refresh', 'viewOnly'])
    expect(second.transitions).toEqual([])
  })

  it('four managers racing on one store in the same tick: exactly one wins the lease and refreshes', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const managers = Array.from({ length: 4 }, () => managerFor(bolt, create(), { store }))
    await logIn(bolt, managers[0] as (typeof managers)[number], 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 100 })

    const results = await Promise.all(
      managers.flatMap((m) => Array.from({ length: 25 }, () => m.getAccessToken('s1'))),
    )

    expect(new Set(results).size).toBe(1)
    expect(bolt.requests.filter((r) => r.grantType === 'refresh_token')).toHaveLength(1)
    const refreshers = managers.filter((m) =>
      m.transitions.some((t) => t.event === 'REFRESH_STARTED'),
    )
    expect(refreshers).toHaveLength(1)
  })

  it('a lease whose holder died is taken over, and the refresh token it held is used once', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const survivor = managerFor(bolt, create(), { store, leaseMs: 15_000 })
    await logIn(bolt, survivor, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)

    // A crashed instance left the session in `refresh` with a lease that has since ended.
    const key = storeKey(bolt, 's1')
    const stored = await store.get(key)
    if (stored === undefined) throw new Error('session missing')
    const record = JSON.parse(stored.value)
    const crashed = reviveSnapshot({
      ...record,
      value: 'refresh',
      context: { ...record.context, lease: { owner: 'crashed', until: bolt.now() - 1 } },
    })
    await store.compareAndSet(key, encodeSessionRecord(crashed), {
      expectedVersion: stored.version,
      ttlMs: 60_000,
    })

    const token = await survivor.getAccessToken('s1')

    expect(token.startsWith('at_')).toBe(true)
    expect(survivor.transitions.slice(2).map((t) => `${t.from}>${t.to}:${t.event}`)).toEqual([
      'refresh>refresh:LEASE_TAKEN_OVER',
      'refresh>viewOnly:REFRESH_SUCCEEDED',
    ])
    expect(bolt.stats).toEqual(expect.objectContaining({ refreshes: 1, reuseDetected: 0 }))
  })

  it('a logout during a refresh is never undone by the refresh’s late result', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 300 })

    const pending = rejection(tokens.getAccessToken('s1'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await tokens.logout('s1')

    expect(isBoltTokenError(await pending, 'NOT_AUTHENTICATED')).toBe(true)
    expect(bolt.stats.refreshes).toBe(1)
    expect((await tokens.getStatus('s1')).state).toBe('unauthenticated')
  })
})
