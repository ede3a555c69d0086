/**
 * The in-process session store: the default, for one backend instance or for tests.
 * Several token managers in one process may share it; it keeps the same contract as the
 * Redis store (versioned compare-and-set, TTL, change notification).
 *
 * @module
 */
import type { CompareAndSetOptions, TokenStore, VersionedValue } from '../../src/contracts.js'

/**
 * Options of {@link createMemoryStore}.
 * @group Stores
 */
export interface MemoryStoreOptions {
  /**
   * The clock TTLs are measured with, in epoch milliseconds.
   * @default Date.now
   */
  clock?: () => number
  /**
   * Time to live of a record written without one, in milliseconds.
   * @default Infinity (kept until deleted)
   */
  ttlMs?: number
}

/**
 * The memory store: a {@link TokenStore} plus a way to see how many keys it holds.
 * @group Stores
 */
export interface MemoryStore extends TokenStore {
  /** Number of live (unexpired) keys. */
  size(): number
}

interface Entry {
  /** What reads return: entries are replaced on write, never changed, so it is shared. */
  stored: VersionedValue
  expiresAt: number
}

const SWEEP_EVERY_WRITES = 1024
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * A flat copy of `value`. V8 returns JSON.stringify's output as a rope (a tree of parts),
 * about 190 bytes more than the flat string for a session record, kept as long as the entry.
 */
function flatten(value: string): string {
  return decoder.decode(encoder.encode(value))
}

/**
 * Creates an in-memory {@link TokenStore}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'bolt-token-lifecycle/memory'
 * const tokens = createTokenManager({ clientId, clientSecret, store: createMemoryStore() })
 * ```
 * @group Stores
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? Date.now
  const defaultTtlMs = options.ttlMs ?? Number.POSITIVE_INFINITY
  const entries = new Map<string, Entry>()
  const listeners = new Map<string, Set<() => void>>()
  // One counter for the whole store: a key deleted and written again never repeats a
  // version, so a slow writer holding an old version can never win by coincidence.
  let lastVersion = 0
  let writesSinceSweep = 0

  function live(key: string, now?: number): Entry | undefined {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= (now ?? clock())) {
      entries.delete(key)
      return undefined
    }
    return entry
  }

  function notify(key: string): void {
    const set = listeners.get(key)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        listener()
      } catch {
        // a listener's failure must not fail the write that triggered it
      }
    }
  }

  function sweep(): void {
    const now = clock()
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
  }

  return {
    // Synchronous: the valid-token path then costs no promise hop.
    get(key, now): VersionedValue | undefined {
      return live(key, now)?.stored
    },

    clock,

    async compareAndSet(
      key,
      value,
      { expectedVersion, ttlMs = defaultTtlMs }: CompareAndSetOptions,
    ) {
      const current = live(key)
      if ((current?.stored.version ?? 0) !== expectedVersion) return undefined
      lastVersion += 1
      entries.set(key, {
        stored: Object.freeze({ value: flatten(value), version: lastVersion }),
        expiresAt: clock() + ttlMs,
      })
      if (++writesSinceSweep >= SWEEP_EVERY_WRITES) {
        writesSinceSweep = 0
        sweep()
      }
      notify(key)
      return lastVersion
    },

    async delete(key) {
      if (entries.delete(key)) notify(key)
    },

    async subscribe(key, listener) {
      let set = listeners.get(key)
      if (set === undefined) {
        set = new Set()
        listeners.set(key, set)
      }
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0 && listeners.get(key) === set) listeners.delete(key)
      }
    },

    size() {
      sweep()
      return entries.size
    },
  }
}
