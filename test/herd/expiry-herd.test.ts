/**
 * Issue 16, item 3, in one process: an expiry herd against a Bolt that pushes back. Sessions
 * logged in together expire together; two managers sharing a store each get two callers per
 * session at once, and the emulator admits only a few token requests at a time. Every session
 * is refreshed exactly once, nobody presents a spent token, and no caller fails who only had
 * to wait. One process makes the requests no faster than the limit allows by much, so this
 * checks the outcome at scale; refresh-line.test.ts checks the line itself (slots, pauses,
 * a caller's deadline in line), and fails without it.
 */
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { isBoltTokenError } from '../../src/errors.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'

const SESSIONS = 300
const CALLERS = 2

describe('the expiry herd, against a rate-limited Bolt', () => {
  it(`${SESSIONS} sessions × 2 managers × ${CALLERS} callers, Bolt admitting 60/s and 4 at once: each session refreshed once, no caller fails`, {
    timeout: 60_000,
  }, async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const managers = [0, 1].map(() =>
      managerFor(bolt, createFetchTransport(), { store, maxRefreshesInFlight: 16 }),
    )
    const ids = Array.from({ length: SESSIONS }, (_, i) => `shopper-${i}`)
    for (const id of ids) await managers[0]?.exchangeCode(id, { code: bolt.login().code })
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.resetStats()
    bolt.setRateLimit({ perSecond: 60, inFlight: 4 })

    const started = performance.now()
    const outcomes = await Promise.all(
      ids.flatMap((id) =>
        managers.flatMap((manager) =>
          Array.from({ length: CALLERS }, () =>
            manager.getAccessToken(id).then(
              (token) => ({ id, token }),
              (error: unknown) => ({ id, code: isBoltTokenError(error) ? error.code : 'other' }),
            ),
          ),
        ),
      ),
    )
    const drainMs = performance.now() - started

    const failed = outcomes.filter((outcome) => 'code' in outcome)
    expect(failed).toEqual([])
    // One token per session, whichever manager and caller asked.
    const tokensPerSession = new Map<string, Set<string>>()
    for (const outcome of outcomes) {
      if (!('token' in outcome)) continue
      const seen = tokensPerSession.get(outcome.id) ?? new Set<string>()
      seen.add(outcome.token)
      tokensPerSession.set(outcome.id, seen)
    }
    expect([...tokensPerSession.values()].every((tokens) => tokens.size === 1)).toBe(true)
    expect(tokensPerSession.size).toBe(SESSIONS)
    expect(bolt.stats).toMatchObject({ refreshes: SESSIONS, reuseDetected: 0, invalidGrants: 0 })
    // Bolt did push back, and the managers drained at its pace rather than failing callers.
    expect(bolt.stats.rateLimited).toBeGreaterThan(0)
    expect(drainMs).toBeGreaterThan(((SESSIONS - 60) / 60) * 1_000)
    for (const manager of managers) {
      expect(manager.errors).toEqual([])
      const states = await Promise.all(ids.map((id) => manager.getStatus(id)))
      expect(new Set(states.map((status) => status.state))).toEqual(new Set(['viewOnly']))
    }
  })
})
