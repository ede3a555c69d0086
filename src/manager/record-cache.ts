/**
 * Remembers the last decoded record of recently used sessions, so that the valid-token
 * path parses JSON only when a record changed: one store read and a clock comparison.
 *
 * @module
 */
import type { VersionedValue } from '../contracts.js'
import { decodeSessionRecord, type SessionRecord } from './session-record.js'

interface Entry {
  version: number
  raw: string
  record: SessionRecord | undefined
}

/** A bounded cache of decoded session records, keyed by session, version and raw value. */
export function createRecordCache(maxEntries = 10_000) {
  const entries = new Map<string, Entry>()
  return {
    /** Decodes `stored`, reusing the previous result when the record did not change. */
    decode(sessionId: string, stored: VersionedValue): SessionRecord | undefined {
      const cached = entries.get(sessionId)
      // The raw comparison guards stores whose versions could repeat after a key expires.
      if (
        cached !== undefined &&
        cached.version === stored.version &&
        cached.raw === stored.value
      ) {
        return cached.record
      }
      const record = decodeSessionRecord(stored.value)
      if (cached === undefined && entries.size >= maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(sessionId, { version: stored.version, raw: stored.value, record })
      return record
    },
  }
}
