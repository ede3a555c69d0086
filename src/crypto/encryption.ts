/**
 * Encryption of session records at rest: AES-256-GCM through WebCrypto (Node, Bun, Deno,
 * workerd), a random 96-bit IV per write, and the session id as additional authenticated
 * data, so a ciphertext copied to another session's key does not decrypt. Keys carry ids:
 * the current key encrypts, every listed key decrypts, so keys rotate without downtime and
 * records are re-encrypted with the current key on their next write.
 *
 * Stored form: `enc1.<key id>.<iv, base64url>.<ciphertext and tag, base64url>`.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'

/**
 * Option `encryption` of the token manager.
 * @group Token manager
 */
export interface EncryptionOptions {
  /**
   * Keys by id: 32 random bytes each, as base64 (standard or url-safe) or a `Uint8Array`.
   * Generate one with `openssl rand -base64 32`. Ids are stored in clear: use names like
   * `2026-11`, never anything secret.
   */
  keys: Record<string, string | Uint8Array>
  /** The id of the key that encrypts new writes. */
  current: string
  /**
   * Turning encryption on for sessions stored without it: until this moment (a `Date` or
   * epoch milliseconds), plaintext records still read, and are encrypted on their next
   * write. After it, or without it, a plaintext record is refused (`RECORD_UNREADABLE`): it
   * could have been planted by anyone who can write to the store. At most `sessionTtlMs`
   * ahead when the manager is created (no plaintext record outlives that).
   */
  acceptPlaintextUntil?: Date | number
}

/**
 * Why a stored record could not be decrypted (it then reads as absent). Internal: the manager
 * reports it to the merchant as `RECORD_UNREADABLE`, so the package does not export it.
 *
 * @internal
 */
export class RecordDecryptionError extends Error {
  override readonly name = 'RecordDecryptionError'
  /** The key id the record names; never the key. */
  readonly keyId: string
  constructor(keyId: string, reason: string) {
    super(reason)
    this.keyId = keyId
  }
}

/** Encrypts and decrypts session records. */
export interface RecordCipher {
  encrypt(plaintext: string, sessionId: string): Promise<string>
  /** Decrypts, or rejects with {@link RecordDecryptionError}. */
  decrypt(stored: string, sessionId: string): Promise<string>
}

const PREFIX = 'enc1.'
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Whether a stored value is an encrypted record. */
export function isEncryptedRecord(stored: string): boolean {
  return stored.startsWith(PREFIX)
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const standard = text.replaceAll('-', '+').replaceAll('_', '/')
  const binary = atob(standard + '='.repeat((4 - (standard.length % 4)) % 4))
  const bytes = new Uint8Array(binary.length)
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index)
  return bytes
}

function invalid(problem: string): BoltTokenError {
  return new BoltTokenError('INVALID_ARGUMENT', `createTokenManager: \`encryption\` ${problem}.`)
}

function keyBytes(id: string, key: string | Uint8Array): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>
  try {
    // A copy: the caller's array may be changed (or be a view on shared memory).
    bytes = typeof key === 'string' ? fromBase64(key.trim()) : new Uint8Array(key)
  } catch {
    throw invalid(`key '${id}' is not valid base64`)
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw invalid(`key '${id}' must be 32 bytes (AES-256), e.g. from \`openssl rand -base64 32\``)
  }
  return bytes
}

const associatedData = (sessionId: string) =>
  new TextEncoder().encode(`bolt-token-lifecycle:${sessionId}`)

/**
 * Validates the keyring and returns a cipher. Keys are imported into WebCrypto on first use.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT` for a missing current key, a bad id or a key that is not 32 bytes.
 */
export function createRecordCipher(options: EncryptionOptions): RecordCipher {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.keys !== 'object' ||
    options.keys === null
  ) {
    throw invalid('must be { keys: { [id]: key }, current: id }')
  }
  const raw = new Map<string, Uint8Array<ArrayBuffer>>()
  for (const [id, key] of Object.entries(options.keys)) {
    if (!KEY_ID.test(id))
      throw invalid(`key id '${id.slice(0, 64)}' must be 1-64 letters, digits, '_' or '-'`)
    raw.set(id, keyBytes(id, key))
  }
  if (!raw.has(options.current))
    throw invalid(`current ('${options.current}') must name one of keys`)
  const imported = new Map<string, Promise<CryptoKey>>()
  const cryptoKey = (id: string): Promise<CryptoKey> | undefined => {
    const bytes = raw.get(id)
    if (bytes === undefined) return undefined
    let key = imported.get(id)
    if (key === undefined) {
      key = globalThis.crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ])
      imported.set(id, key)
    }
    return key
  }

  return {
    async encrypt(plaintext, sessionId) {
      const key = await (cryptoKey(options.current) as Promise<CryptoKey>)
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
      const sealed = await globalThis.crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: associatedData(sessionId) },
        key,
        new TextEncoder().encode(plaintext),
      )
      return `${PREFIX}${options.current}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`
    },

    async decrypt(stored, sessionId) {
      const [, keyId = '', ivText = '', sealedText = ''] = stored.split('.')
      const key = cryptoKey(keyId)
      if (key === undefined)
        throw new RecordDecryptionError(keyId, `no key with id '${keyId}' is configured`)
      try {
        const opened = await globalThis.crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64(ivText), additionalData: associatedData(sessionId) },
          await key,
          fromBase64(sealedText),
        )
        return new TextDecoder().decode(opened)
      } catch {
        throw new RecordDecryptionError(
          keyId,
          `the record does not decrypt with key '${keyId}' (wrong key, tampered, or moved from another session)`,
        )
      }
    },
  }
}
