/**
 * `sessions stats`: every session record counted by state, by encryption key and by how soon
 * it ends, in one pass of batches. Only counters are kept between batches, so memory stays
 * the same on a million sessions as on ten.
 *
 * @module
 */
import type { TokenState } from '../../machine/token-machine.js'
import { stateAt } from '../../manager/decide.js'
import type { RecordReader, UnreadableReason } from './record-reader.js'
import type { ScanPage, SessionSource } from './source.js'

/** One hour, the horizon of "expires within the hour". */
export const HOUR_MS = 3_600_000

/**
 * The token manager's default `refreshSkewMs`: a token with less left reads as expired, as
 * `getStatus` would say of it.
 */
export const DEFAULT_REFRESH_SKEW_MS = 60_000

/** The machine's states, in the order the output lists them. */
export const STATES: readonly TokenState[] = [
  'unauthenticated',
  'codeExchange',
  'fullyScoped',
  'expired',
  'refresh',
  'viewOnly',
]

/** What `stats` found. */
export interface SessionStats {
  command: 'stats'
  /** The store, fit to print. */
  store: string
  /** When the states and expiries were read (epoch ms). */
  at: number
  /** Session records found. */
  records: number
  /** Readable records by state, as `getStatus` reads them at `at` (expiry applied). */
  byState: Record<TokenState, number>
  /** Records that could not be read, and why. */
  unreadable: number
  unreadableByReason: Partial<Record<UnreadableReason, number>>
  /** Encrypted records (readable or not) by the key id they name. */
  byKeyId: Record<string, number>
  /** Records stored without encryption. */
  plaintext: number
  /**
   * Readable sessions holding tokens, by when their access token expires: already (the next
   * call refreshes it), within the hour, or later.
   */
  accessTokens: { expired: number; expiringWithinHour: number; validBeyondHour: number }
  /** Records whose store TTL ends within the hour (logged-out tombstones, idle sessions). */
  recordsEndingWithinHour: number
  /** How the scan went: batches read, and the most records one batch held. */
  scan: { batches: number; largestBatch: number }
}

/** Options of {@link collectStats}. */
export interface StatsOptions {
  source: SessionSource
  reader: RecordReader
  batchSize: number
  now: number
  /** For tests: called with each batch after it is read. */
  afterScan?: ((page: ScanPage) => Promise<void>) | undefined
}

function emptyStats(store: string, at: number): SessionStats {
  return {
    command: 'stats',
    store,
    at,
    records: 0,
    byState: Object.fromEntries(STATES.map((state) => [state, 0])) as Record<TokenState, number>,
    unreadable: 0,
    unreadableByReason: {},
    byKeyId: {},
    plaintext: 0,
    accessTokens: { expired: 0, expiringWithinHour: 0, validBeyondHour: 0 },
    recordsEndingWithinHour: 0,
    scan: { batches: 0, largestBatch: 0 },
  }
}

/** Scans every record of `source` and counts them. */
export async function collectStats({
  source,
  reader,
  batchSize,
  now,
  afterScan,
}: StatsOptions): Promise<SessionStats> {
  const stats = emptyStats(source.description, now)
  let cursor: string | null = ''
  while (cursor !== null) {
    const page = await source.scan(cursor, batchSize)
    await afterScan?.(page)
    cursor = page.next
    stats.scan.batches += 1
    stats.scan.largestBatch = Math.max(stats.scan.largestBatch, page.sessions.length)
    const opened = await Promise.all(page.sessions.map(reader.open))
    page.sessions.forEach((session, index) => {
      const record = opened[index]
      if (record === undefined) return
      stats.records += 1
      if (session.ttlMs !== undefined && session.ttlMs <= HOUR_MS)
        stats.recordsEndingWithinHour += 1
      if (record.keyId === undefined) stats.plaintext += 1
      else stats.byKeyId[record.keyId] = (stats.byKeyId[record.keyId] ?? 0) + 1
      if (!record.readable) {
        stats.unreadable += 1
        stats.unreadableByReason[record.reason] = (stats.unreadableByReason[record.reason] ?? 0) + 1
        return
      }
      const { value, context } = record.record
      stats.byState[stateAt(value, context.tokens, now, DEFAULT_REFRESH_SKEW_MS)] += 1
      const tokens = context.tokens
      if (tokens === null) return
      if (tokens.expiresAt <= now) stats.accessTokens.expired += 1
      else if (tokens.expiresAt <= now + HOUR_MS) stats.accessTokens.expiringWithinHour += 1
      else stats.accessTokens.validBeyondHour += 1
    })
  }
  return stats
}
