/**
 * The emulator's clock: it starts at a chosen instant, then moves with real
 * time, and tests can push it forward (or back) to expire codes and tokens
 * without waiting.
 */
export interface EmulatorClock {
  /** The current emulator time in ms since the epoch (an integer). */
  now(): number
  /** Moves the clock by `ms` (negative moves it back). */
  advance(ms: number): void
}

/**
 * Creates a clock that reads `startMs` now and then follows the monotonic
 * real-time clock plus every {@link EmulatorClock.advance}.
 *
 * @example
 * const clock = createEmulatorClock(Date.parse('2030-01-01T00:00:00Z'))
 * clock.advance(3_600_000) // one hour later, instantly
 */
export function createEmulatorClock(startMs: number): EmulatorClock {
  // performance.now() rather than Date.now(): a wall-clock jump on the host
  // must not expire tokens in the middle of a test.
  const realStart = performance.now()
  let offset = 0
  return {
    now: () => Math.floor(startMs + (performance.now() - realStart) + offset),
    advance(ms) {
      offset += ms
    },
  }
}
