/**
 * Where the admin command finds sessions: one store (Redis or PostgreSQL), read in batches
 * and written through the store's own adapter, so that every write is the compare-and-set the
 * token manager uses.
 *
 * @module
 */
import type { TokenStore } from '../../contracts.js'
import { AdminCommandError, EXIT } from './exit-codes.js'

/** One session record as the store holds it. */
export interface StoredSession {
  /** The store key (the HMAC of the session id; never the id). */
  key: string
  /** The record: plaintext JSON or an encrypted form (`enc2.…`). */
  value: string
  version: number
  /** How long the store keeps it, in milliseconds; `undefined` when it has no expiry. */
  ttlMs: number | undefined
}

/** One batch of a scan, and where the next one starts (`null`: the scan is done). */
export interface ScanPage {
  sessions: StoredSession[]
  next: string | null
}

/** A store the admin command reads and writes. */
export interface SessionSource {
  /** Where it is, fit to print: host, port and prefix or table, never a credential. */
  readonly description: string
  /** The store as the token manager uses it: compare-and-set, delete, subscribe. */
  readonly store: TokenStore
  /**
   * Reads one batch of about `count` records from `cursor` (`''`: the start). Holds nothing
   * between calls but the cursor, so memory stays bounded on any number of sessions.
   */
  scan(cursor: string, count: number): Promise<ScanPage>
  /** Reads one record, or `undefined` when it is absent or expired. */
  read(key: string): Promise<StoredSession | undefined>
  /** About how many records there are, for a progress bar; `exact: false` for an upper bound. */
  estimate(): Promise<{ count: number; exact: boolean }>
  /** Closes the connections the command opened. */
  close(): Promise<void>
}

/** The first line of an error's message (drivers put no values in it), or its text. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)
}

/**
 * `source` with every failure of the store itself turned into `STORE_UNAVAILABLE`, naming the
 * store and what failed, so that a connection lost mid-run is told apart from a bug.
 */
export function guardSource(source: SessionSource): SessionSource {
  const failed = (what: string) => (error: unknown) => {
    if (error instanceof AdminCommandError) throw error
    throw new AdminCommandError(
      EXIT.STORE_UNAVAILABLE,
      `${source.description} failed to ${what} (${reasonOf(error)}). Nothing was overwritten: every write names the version it read.`,
      { cause: error },
    )
  }
  const inner = source.store
  const store: TokenStore = {
    get: (key, now) => inner.get(key, now),
    compareAndSet: (key, value, options) =>
      inner.compareAndSet(key, value, options).catch(failed('write a record')),
    delete: (key) => inner.delete(key),
    subscribe: (key, listener) => inner.subscribe(key, listener),
    ...(inner.clock === undefined ? {} : { clock: inner.clock }),
    // The store's clock, which leases are set and compared on, as in production.
    ...(inner.time === undefined ? {} : { time: () => inner.time?.() ?? Promise.resolve(0) }),
  }
  return {
    description: source.description,
    store,
    scan: (cursor, count) => source.scan(cursor, count).catch(failed('read a batch')),
    read: (key) => source.read(key).catch(failed('read a record')),
    estimate: () => source.estimate().catch(failed('count its records')),
    close: () => source.close(),
  }
}
