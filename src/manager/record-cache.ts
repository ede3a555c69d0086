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

type Decoded = SessionRecord | undefined

interface Entry {
  version: number
  raw: string
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
  onUnreadable: UnreadableRecordReporter
  /** @default 10_000 */
  maxEntries?: number
}

/** A bounded cache of decoded session records, keyed by session, version and raw value. */
export function createRecordCache(options: RecordCacheOptions) {
  const { cipher, onUnreadable, acceptsPlaintext } = options
  const maxEntries = options.maxEntries ?? 10_000
  const entries = new Map<string, Entry>()

  function remember(sessionId: string, stored: VersionedValue, record: Entry['record']): void {
    if (!entries.has(sessionId) && entries.size >= maxEntries) {
      const oldest = entries.keys().next()
      if (oldest.done !== true) entries.delete(oldest.value)
    }
    entries.set(sessionId, { version: stored.version, raw: stored.value, record })
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

  return {
    /**
     * The record `stored` holds, or `undefined` when it cannot be read (reported once per
     * stored value). Synchronous when the record is cached or not encrypted.
     */
    decode(sessionId: string, stored: VersionedValue): Decoded | Promise<Decoded> {
      const cached = entries.get(sessionId)
      // The raw comparison guards stores whose versions could repeat after a key expires.
      if (
        cached !== undefined &&
        cached.version === stored.version &&
        cached.raw === stored.value
      ) {
        return cached.record
      }
      if (!isEncryptedRecord(stored.value)) {
        const record =
          cipher === null || acceptsPlaintext()
            ? parse(sessionId, stored.value)
            : refusePlaintext(sessionId)
        remember(sessionId, stored, record)
        return record
      }
      const pending = decrypt(sessionId, stored)
      remember(sessionId, stored, pending)
      pending.then(
        (record) => {
          const entry = entries.get(sessionId)
          if (entry?.record === pending) entry.record = record
        },
        () => entries.delete(sessionId),
      )
      return pending
    },
  }
}
