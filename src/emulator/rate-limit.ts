/**
 * The emulator's rate limit on the token endpoint (our choice: Bolt publishes none), so that
 * an expiry herd can be played against a server that pushes back: at most `perSecond` requests
 * per second (a token bucket holding one second's worth) and `inFlight` at once; past either,
 * `429` with `Retry-After` in whole seconds, as RFC 9110 §10.2.3 writes it.
 */
import type { Reply } from './http.js'

/**
 * The token endpoint's limit.
 * @group Emulator
 */
export interface EmulatorRateLimit {
  /** Requests admitted per second, on average (bursts up to this many at once). */
  perSecond: number
  /** Requests being answered at once. */
  inFlight: number
}

/** A request the limit admitted: call `done` once it is answered. */
export type Admission = { admitted: true; done(): void } | { admitted: false; reply: Reply }

/** The limit's state, checked per request. */
export interface RateLimiter {
  admit(): Admission
}

/** A limiter for `limit`; `now` is a monotonic clock in milliseconds. */
export function createRateLimiter(
  limit: EmulatorRateLimit,
  now: () => number = () => performance.now(),
): RateLimiter {
  let tokens = limit.perSecond
  let refilledAt = now()
  let inFlight = 0
  const refusal = (retryAfterSeconds: number): Admission => ({
    admitted: false,
    reply: {
      status: 429,
      headers: {
        'content-type': 'application/json',
        'retry-after': String(retryAfterSeconds),
        'cache-control': 'no-store',
      },
      body: JSON.stringify({
        error: 'rate_limited',
        error_description: 'Too many requests; retry after the time in Retry-After',
      }),
    },
  })
  return {
    admit() {
      const at = now()
      tokens = Math.min(limit.perSecond, tokens + ((at - refilledAt) / 1_000) * limit.perSecond)
      refilledAt = at
      if (inFlight >= limit.inFlight) return refusal(1)
      if (tokens < 1) return refusal(Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)))
      tokens -= 1
      inFlight += 1
      let answered = false
      return {
        admitted: true,
        done() {
          if (answered) return
          answered = true
          inFlight -= 1
        },
      }
    },
  }
}
