/**
 * Turns stored values into session records, decrypting them when they are encrypted, and
 * remembers the last result per session, so that the valid-token path parses (and
 * decrypts) only when a record changed: one store read and a clock comparison.
 *
 * @module
 */
import type { VersionedValue } from '../contracts.js'
import {
  isEncryptedRecord,
  type RecordCipher,
  RecordDecryptionError,
} from '../crypto/encryption.js'
import { decodeSessionRecord, type SessionRecord } from './session-record.js'
import type { StoreKeyOf } from './store-keys.js'

type Decoded = SessionRecord | undefined

/** What this process remembers of one session: where it is stored, and its last decoded record. */
export interface CachedSession {
  /** The session's store key (see `store-keys.ts`). */
  readonly key: string
  /** The version and raw value `record` was decoded from; `-1` and `undefined` before any. */
  version: number
  raw: string | undefined
  record: Decoded | Promise<Decoded>
}

/** Told when a stored record cannot be read; `keyId` names the encryption key involved. */
export type UnreadableRecordReporter = (sessionId: string, reason: string, keyId?: string) => void

/** Options of {@link createRecordCache}. */
export interface RecordCacheOptions {
  cipher: RecordCipher | null
  /**
   * With a cipher, whether a plaintext record may still be read now (the migration window of
   * `encryption.acceptPlaintextUntil`). Without one, plaintext is what is written.
   */
  acceptsPlaintext: () => boolean
  /** Derives a session's store key (remembered here, with the record). */
  storeKeyOf: StoreKeyOf
  onUnreadable: UnreadableRecordReporter
  /** @default 10_000 */
  maxEntries?: number
}

/**
 * A bounded cache of sessions: each one's store key, and its decoded record keyed by version
 * and raw value. One map lookup serves the valid-token path both.
 */
export function createRecordCache(options: RecordCacheOptions) {
  const { cipher, onUnreadable, acceptsPlaintext, storeKeyOf } = options
  const maxEntries = options.maxEntries ?? 10_000
  const entries = new Map<string, CachedSession>()

  function session(sessionId: string): CachedSession {
    const known = entries.get(sessionId)
    if (known !== undefined) return known
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next()
      if (oldest.done !== true) entries.delete(oldest.value)
    }
    const created: CachedSession = {
      key: storeKeyOf(sessionId),
      version: -1,
      raw: undefined,
      record: undefined,
    }
    entries.set(sessionId, created)
    return created
  }

  function parse(sessionId: string, plaintext: string): Decoded {
    const record = decodeSessionRecord(plaintext)
    if (record === undefined)
      onUnreadable(sessionId, 'the stored record is not a session record this version understands')
    return record
  }

  // With encryption on, a plaintext record is one that anyone with write access to the store
  // could have planted: its tokens would be the writer's, not the shopper's.
  function refusePlaintext(sessionId: string): undefined {
    onUnreadable(
      sessionId,
      'the record is not encrypted, but `encryption` is configured (a record written before encryption was turned on reads only within `encryption.acceptPlaintextUntil`)',
    )
    return undefined
  }

  async function decrypt(sessionId: string, stored: VersionedValue): Promise<Decoded> {
    if (cipher === null) {
      const keyId = stored.value.split('.')[1]
      onUnreadable(
        sessionId,
        'the record is encrypted but no `encryption` option is configured',
        keyId,
      )
      return undefined
    }
    try {
      return parse(sessionId, await cipher.decrypt(stored.value, sessionId))
    } catch (error) {
      if (!(error instanceof RecordDecryptionError)) throw error
      onUnreadable(sessionId, error.message, error.keyId)
      return undefined
    }
  }

  /**
   * The record `stored` holds, or `undefined` when it cannot be read (reported once per
   * stored value). Synchronous when the record is cached or not encrypted.
   */
  function decodeIn(
    entry: CachedSession,
    sessionId: string,
    stored: VersionedValue,
  ): Decoded | Promise<Decoded> {
    // The raw comparison guards stores whose versions could repeat after a key expires.
    if (entry.version === stored.version && entry.raw === stored.value) {
      // Keep the store's own string: the next comparison is then one pointer check, not a
      // walk over a string we encoded ourselves (see `remember`).
      entry.raw = stored.value
      return entry.record
    }
    entry.version = stored.version
    entry.raw = stored.value
    if (!isEncryptedRecord(stored.value)) {
      entry.record =
        cipher === null || acceptsPlaintext()
          ? parse(sessionId, stored.value)
          : refusePlaintext(sessionId)
      return entry.record
    }
    const pending = decrypt(sessionId, stored)
    entry.record = pending
    pending.then(
      (record) => {
        if (entry.record === pending) entry.record = record
      },
      () => {
        if (entry.record !== pending) return
        entry.version = -1
        entry.raw = undefined
        entry.record = undefined
      },
    )
    return pending
  }

  /**
   * Remembers the record this process just wrote at `stored` (what the store now holds), so
   * that the next read of that version does not decode what we encoded.
   */
  function remember(sessionId: string, stored: VersionedValue, record: SessionRecord): void {
    const entry = session(sessionId)
    entry.version = stored.version
    entry.raw = stored.value
    entry.record = record
  }

  return {
    /** The session's cache entry (created, with its store key, on first use). */
    session,
    /** The store key of a session. */
    keyOf: (sessionId: string): string => session(sessionId).key,
    /** {@link decodeIn} for a session looked up by id. */
    decode: (sessionId: string, stored: VersionedValue) =>
      decodeIn(session(sessionId), sessionId, stored),
    decodeIn,
    remember,
  }
}
