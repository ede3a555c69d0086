/**
 * The line a manager's refreshes wait in before they take a session's lease (issue 16: the
 * expiry herd). Sessions logged in during a campaign's first minutes expire within seconds of
 * each other an hour later; each is refreshed once, but all of them at once would hit Bolt's
 * rate limit, and past the retry budget callers would fail who only had to wait.
 *
 * - At most `maxInFlight` refreshes of this instance talk to Bolt at once; the others wait in
 *   line, first come first served.
 * - A `429` (or a `503`) with `Retry-After` pauses the whole line for the time asked, plus up to
 *   a quarter more at random, so that instances paused together do not resume together; and
 *   it halves how many refreshes may be in flight, which then grows back by one per that many
 *   answers (additive increase, multiplicative decrease, as TCP finds a link's rate). A line
 *   that resumed at full width would only meet the same limit again, and spend the retries of
 *   the requests it sent.
 * - A caller waits at most as long as it is told; then it gets `RATE_LIMITED` with
 *   `retryAfterMs`, having sent nothing and taken no lease: the session is still refreshable.
 *
 * A slot is taken before the lease, never after: a refresh that waited in line while holding
 * the lease could see it end and another instance present the same refresh token.
 *
 * @module
 */
import { refreshQueueTimeout } from '../errors.js'

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void

/** A manager's line of refreshes; see the module documentation. */
export interface RequestGate {
  /** A slot now if one is free, nobody waits and no pause holds; `undefined` otherwise. */
  tryAcquire(): ReleaseSlot | undefined
  /** Waits in line for a slot, at most `waitMs`; then rejects with `RATE_LIMITED`. */
  acquire(waitMs: number): Promise<ReleaseSlot>
  /** Bolt asked to wait `ms`: no refresh starts before then (plus jitter), and fewer after. */
  pause(ms: number): void
  /** Bolt answered a request: the line may widen again, up to `maxInFlight`. */
  answered(): void
  /** Callers waiting in line. */
  readonly waiting: number
}

/** What a caller in line is waiting for. */
interface Waiter {
  grant(release: ReleaseSlot): void
  timer: ReturnType<typeof setTimeout>
}

/** The share of a pause added at random, at most (docs/errors.md says "a quarter"). */
export const PAUSE_JITTER = 0.25

/** Creates a gate letting `maxInFlight` refreshes through at once. */
export function createRequestGate(
  maxInFlight: number,
  random: () => number = Math.random,
): RequestGate {
  let inFlight = 0
  /** How many may be in flight now: `maxInFlight`, less after Bolt pushed back. */
  let width = maxInFlight
  let pausedUntil = 0
  let resumeTimer: ReturnType<typeof setTimeout> | undefined
  const line: Waiter[] = []

  function slot(): ReleaseSlot {
    inFlight++
    let released = false
    return () => {
      if (released) return
      released = true
      inFlight--
      letThrough()
    }
  }

  const hasRoom = () => inFlight < Math.floor(width)

  function open(): boolean {
    return hasRoom() && performance.now() >= pausedUntil
  }

  function letThrough(): void {
    while (line.length > 0 && open()) {
      const next = line.shift() as Waiter
      clearTimeout(next.timer)
      next.grant(slot())
    }
    if (line.length > 0 && hasRoom()) resumeAfterPause()
  }

  function resumeAfterPause(): void {
    if (resumeTimer !== undefined) return
    resumeTimer = setTimeout(
      () => {
        resumeTimer = undefined
        letThrough()
      },
      Math.max(1, pausedUntil - performance.now()),
    )
  }

  return {
    tryAcquire() {
      return line.length === 0 && open() ? slot() : undefined
    },
    acquire(waitMs) {
      const ready = line.length === 0 && open() ? slot() : undefined
      if (ready !== undefined) return Promise.resolve(ready)
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const ahead = line.length
        const waiter: Waiter = {
          grant: resolve,
          timer: setTimeout(
            () => {
              line.splice(line.indexOf(waiter), 1)
              const paused = Math.ceil(pausedUntil - performance.now())
              reject(refreshQueueTimeout(Math.max(paused, 1_000), ahead))
            },
            Math.max(0, waitMs),
          ),
        }
        line.push(waiter)
        if (hasRoom()) resumeAfterPause()
      })
    },
    pause(ms) {
      const now = performance.now()
      // One halving per pause: the answers of requests sent before it are no news.
      if (now >= pausedUntil) width = Math.max(1, width / 2)
      const until = now + ms * (1 + PAUSE_JITTER * random())
      if (until <= pausedUntil) return
      pausedUntil = until
      if (resumeTimer !== undefined) {
        clearTimeout(resumeTimer)
        resumeTimer = undefined
      }
      if (line.length > 0) resumeAfterPause()
    },
    answered() {
      if (width >= maxInFlight) return
      width = Math.min(maxInFlight, width + 1 / width)
      letThrough()
    },
    get waiting() {
      return line.length
    },
  }
}
