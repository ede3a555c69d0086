/**
 * Opens stored session records the way the token manager does, but by store key: decrypts an
 * encrypted one with the key ring from the environment, decodes the versioned envelope, and
 * says why when it cannot (never what the record holds).
 *
 * @module
 */
import {
  isEncryptedRecord,
  isSessionBoundRecord,
  RecordDecryptionError,
  recordKeyId,
} from '../../crypto/encryption.js'
import { decodeSessionRecord, type SessionRecord } from '../../manager/session-record.js'
import { type KeyRing, missingKeysMessage } from './environment.js'
import { AdminCommandError, EXIT } from './exit-codes.js'
import type { StoredSession } from './source.js'

/**
 * Why a record could not be read:
 * - `unknown-key`: encrypted under a key id the key ring lacks;
 * - `failed-check`: its authentication tag does not verify (another key under the same id,
 *   tampered, or copied from another session's key);
 * - `session-bound`: an `enc1` record, bound to its session id (only the manager opens it);
 * - `not-a-record`: not a session record this version understands.
 */
export type UnreadableReason = 'unknown-key' | 'failed-check' | 'session-bound' | 'not-a-record'

/** What a stored record turned out to be. */
export type OpenedRecord =
  | { readable: true; record: SessionRecord; plaintext: string; keyId: string | undefined }
  | { readable: false; reason: UnreadableReason; keyId: string | undefined }

/** Opens records with the key ring `ring` (`undefined`: none was given). */
export function createRecordReader(ring: KeyRing | undefined) {
  function decoded(plaintext: string, keyId: string | undefined): OpenedRecord {
    const record = decodeSessionRecord(plaintext)
    return record === undefined
      ? { readable: false, reason: 'not-a-record', keyId }
      : { readable: true, record, plaintext, keyId }
  }

  /**
   * Opens one record.
   *
   * @throws {AdminCommandError} `USAGE` when it is encrypted and no key ring was given.
   */
  async function open(session: StoredSession): Promise<OpenedRecord> {
    const keyId = recordKeyId(session.value)
    if (!isEncryptedRecord(session.value)) return decoded(session.value, undefined)
    if (ring === undefined) throw new AdminCommandError(EXIT.USAGE, missingKeysMessage(keyId))
    if (isSessionBoundRecord(session.value))
      return { readable: false, reason: 'session-bound', keyId }
    if (keyId === undefined || !ring.keyIds.has(keyId))
      return { readable: false, reason: 'unknown-key', keyId }
    try {
      return decoded(await ring.cipher.decrypt(session.value, session.key), keyId)
    } catch (error) {
      if (!(error instanceof RecordDecryptionError)) throw error
      return { readable: false, reason: 'failed-check', keyId }
    }
  }

  return { open }
}

/** A record reader. */
export type RecordReader = ReturnType<typeof createRecordReader>
