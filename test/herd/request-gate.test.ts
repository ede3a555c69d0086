/**
 * The line a manager's refreshes wait in (src/manager/request-gate.ts), on its own: slots,
 * first come first served, pauses with jitter, and a caller's deadline in line.
 */
import { describe, expect, it } from 'vitest'
import { createRequestGate } from '../../src/manager/request-gate.js'
import { rejection } from '../support/rejection.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('the request gate', () => {
  it('lets maxInFlight through at once, then serves the line in order as slots come back', async () => {
    const gate = createRequestGate(2)
    const first = gate.tryAcquire()
    const second = gate.tryAcquire()
    expect(first).toBeTypeOf('function')
    expect(second).toBeTypeOf('function')
    expect(gate.tryAcquire()).toBeUndefined()
    const served: string[] = []
    const third = gate.acquire(5_000).then((release) => {
      served.push('third')
      return release
    })
    const fourth = gate.acquire(5_000).then((release) => {
      served.push('fourth')
      return release
    })
    expect(gate.waiting).toBe(2)
    first?.()
    first?.() // a second release gives nothing back twice
    await tick()
    expect(served).toEqual(['third'])
    // Someone in line: a newcomer does not jump the queue, even with a slot about to free.
    second?.()
    await tick()
    expect(served).toEqual(['third', 'fourth'])
    expect(gate.tryAcquire()).toBeUndefined()
    ;(await third)()
    expect(gate.tryAcquire()).toBeTypeOf('function')
    ;(await fourth)()
  })

  it('a pause holds every new refresh for the time asked, plus at most a quarter more', async () => {
    const gate = createRequestGate(4, () => 1)
    gate.pause(200)
    expect(gate.tryAcquire()).toBeUndefined()
    const started = performance.now()
    const release = await gate.acquire(5_000)
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(249)
    expect(waited).toBeLessThan(1_000)
    release()
    expect(gate.tryAcquire()).toBeTypeOf('function')
  })

  it('a shorter pause never cuts a longer one short', async () => {
    const gate = createRequestGate(1, () => 0)
    gate.pause(300)
    gate.pause(10)
    const started = performance.now()
    ;(await gate.acquire(5_000))()
    expect(performance.now() - started).toBeGreaterThanOrEqual(299)
  })

  it('a caller whose wait runs out gets RATE_LIMITED with retryAfterMs, and leaves the line', async () => {
    const gate = createRequestGate(1)
    const held = gate.tryAcquire()
    gate.pause(3_000)
    const error = (await rejection(gate.acquire(50))) as Error & {
      code?: string
      retryAfterMs?: number
    }
    expect(error.code).toBe('RATE_LIMITED')
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(2_900)
    expect(error.message).toMatch(/Nothing was sent and the session is unchanged/)
    expect(gate.waiting).toBe(0)
    held?.()
  })

  it('a pause halves how many may be in flight; answers widen it back by one per width answers', async () => {
    const gate = createRequestGate(8, () => 0)
    const slots = Array.from({ length: 8 }, () => gate.tryAcquire())
    expect(slots.every((slot) => slot !== undefined)).toBe(true)
    gate.pause(1)
    gate.pause(1) // the same pushback again: no second halving
    await new Promise((resolve) => setTimeout(resolve, 5))
    for (const release of slots) release?.()
    const width = () => {
      const taken = []
      for (let slot = gate.tryAcquire(); slot !== undefined; slot = gate.tryAcquire())
        taken.push(slot)
      for (const release of taken) release()
      return taken.length
    }
    expect(width()).toBe(4)
    // Each answer adds 1/width: five answers at width 4 make one more slot (4 would make 4.92).
    for (let i = 0; i < 4; i++) gate.answered()
    expect(width()).toBe(4)
    gate.answered()
    expect(width()).toBe(5)
    for (let i = 0; i < 100; i++) gate.answered()
    expect(width()).toBe(8)
  })
})
