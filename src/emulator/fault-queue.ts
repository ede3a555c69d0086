import type { EmulatorFault, FaultRoute } from './types.js'

/** The queue of injected faults, per route, first in first out. */
export interface FaultQueue {
  /** Queues `fault` for the next `times` requests of `route`. */
  push(fault: EmulatorFault, times: number, route: FaultRoute): void
  /** Takes the fault for the request that just arrived on `route`, if any. */
  take(route: FaultRoute): EmulatorFault | undefined
  /** Forgets every queued fault. */
  clear(): void
}

/** Creates an empty {@link FaultQueue}. */
export function createFaultQueue(): FaultQueue {
  let entries: { fault: EmulatorFault; remaining: number; route: FaultRoute }[] = []
  return {
    push(fault, times, route) {
      entries.push({ fault, remaining: times, route })
    },
    take(route) {
      const index = entries.findIndex((entry) => entry.route === route)
      const entry = entries[index]
      if (entry === undefined) return undefined
      entry.remaining -= 1
      if (entry.remaining === 0) entries.splice(index, 1)
      return entry.fault
    },
    clear() {
      entries = []
    },
  }
}
