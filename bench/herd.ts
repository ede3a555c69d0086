/**
 * `herd.*`: the expiry herd (issue 16) against a Bolt that admits `PER_SECOND` token requests a
 * second. Sessions logged in together expire together; two managers sharing a memory store
 * each get a caller per session at once. How fast the herd drains, against the rate Bolt
 * allows, and how long callers wait. The emulator runs in this process here (the section needs
 * its rate limit, which the control API does not set).
 *
 * @module
 */
import { createFetchTransport } from '../adapters/http/fetch.js'
import { createMemoryStore } from '../adapters/storage/memory.js'
import { emulatorManagerOptions, startBoltEmulator } from '../src/emulator/index.js'
import { isBoltTokenError } from '../src/errors.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import type { Section } from './context.js'
import { heading, int, ms, ratio } from './format.js'
import { type Metrics, measured } from './metrics.js'
import { percentile } from './rounds.js'

/** Sessions in the herd, at scale 1. */
const SESSIONS = 2_000
/** What the emulator admits: well below what one process can send, so that Bolt is the limit. */
const PER_SECOND = 200
const IN_FLIGHT = 8

/** Drains one herd and measures it. */
export const herd: Section = async ({ settings }) => {
  const sessions = Math.max(200, Math.round(SESSIONS * settings.scale))
  heading(
    `herd: ${int(sessions)} sessions expire at once, 2 managers × 1 caller each, Bolt admitting ${PER_SECOND}/s and ${IN_FLIGHT} at once`,
  )
  const bolt = await startBoltEmulator()
  try {
    const store = createMemoryStore({ clock: bolt.now })
    const managers = [0, 1].map(() =>
      createTokenManager({ ...emulatorManagerOptions(bolt), store, http: createFetchTransport() }),
    )
    const ids = Array.from({ length: sessions }, (_, i) => `herd-${i}`)
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(
        ids
          .slice(i, i + 100)
          .map((id) => managers[0]?.exchangeCode(id, { code: bolt.login().code })),
      )
    }
    bolt.advanceClock(61 * 60_000)
    bolt.resetStats()
    bolt.setRateLimit({ perSecond: PER_SECOND, inFlight: IN_FLIGHT })

    const started = performance.now()
    const waits: number[] = []
    let failed = 0
    await Promise.all(
      ids.flatMap((id) =>
        managers.map(async (manager) => {
          const asked = performance.now()
          try {
            await manager.getAccessToken(id)
          } catch (error) {
            failed += 1
            if (!isBoltTokenError(error)) throw error
          }
          waits.push(performance.now() - asked)
        }),
      ),
    )
    const drainSeconds = (performance.now() - started) / 1_000
    const { refreshes, rateLimited, reuseDetected } = bolt.stats
    if (refreshes !== sessions || reuseDetected !== 0) {
      throw new Error(
        `the herd refreshed ${refreshes} of ${sessions} sessions, ${reuseDetected} reuses`,
      )
    }
    // The bucket starts full: a second's worth goes at once, the rest at PER_SECOND.
    const idealSeconds = (sessions - PER_SECOND) / PER_SECOND
    const drainRate = sessions / drainSeconds
    const vsAllowed = idealSeconds / drainSeconds
    const p99 = percentile(waits, 99)
    console.log(
      `  drained in ${drainSeconds.toFixed(2)} s (ideal at the allowed rate ${idealSeconds.toFixed(2)} s): ` +
        `${int(drainRate)} sessions/s, ${ratio(vsAllowed)} of the allowed pace; ` +
        `p99 wait ${ms(p99)}; Bolt answered ${int(rateLimited)} requests 429; ${failed} callers failed`,
    )
    const shape = `${int(sessions)} sessions, 2 managers × 1 caller each, emulator (this process) admitting ${PER_SECOND}/s and ${IN_FLIGHT} at once`
    const metrics: Metrics = {
      'herd.drain.vs-allowed': measured(
        vsAllowed,
        '×',
        `ideal drain time at the allowed rate / measured drain time; ${shape}`,
      ),
      'herd.drain.ops': measured(
        drainRate,
        'sessions/s',
        `refreshed sessions per second; ${shape}`,
      ),
      'herd.p99-wait-ms': measured(p99, 'ms', `p99 of the callers' waits; ${shape}`),
      'herd.failed-callers': measured(failed, 'callers', `callers that got an error; ${shape}`),
    }
    return metrics
  } finally {
    await bolt.close()
  }
}
