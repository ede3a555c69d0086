/**
 * This instance's leases. Leases are told apart by owner and end, so each lease an instance
 * issues ends strictly later than its last one: two logins of one instance in the same
 * millisecond must not hold equal leases (a failed one would hand the session back to the
 * other's lease, which nobody holds any more). A lease ends on the store's clock
 * (`lease-clock.ts`): call `leaseClock.sync()` before issuing one.
 *
 * @module
 */
import type { Lease } from '../machine/token-machine.js'
import type { ResolvedOptions } from './options.js'

/** Creates the function that issues this instance's leases. */
export function createLeaseIssuer(
  owner: string,
  { leaseClock, leaseMs }: Pick<ResolvedOptions, 'leaseClock' | 'leaseMs'>,
): () => Lease {
  let lastUntil = Number.NEGATIVE_INFINITY
  return () => {
    const until = Math.max(leaseClock.now() + leaseMs, lastUntil + 1)
    lastUntil = until
    return { owner, until }
  }
}
