/**
 * Encryption of session records at rest: AES-256-GCM through WebCrypto (Node, Bun, Deno,
 * workerd), a random 96-bit IV per write, and the record's store key (the HMAC of its session
 * id, see `store-keys.ts`) as additional authenticated data, so a ciphertext copied to another
 * session's key does not decrypt. Keys carry ids: the current key encrypts, every listed key
 * decrypts, so keys rotate without downtime; records are re-encrypted with the current key on
 * their next write, or all at once by `bolt-token-lifecycle sessions reencrypt`, which sees
 * only store keys (never session ids) and so can open what is bound to a store key.
 *
 * Stored forms (`<iv>` and `<ciphertext and tag>` in base64url):
 * - `enc2.<key id>.<iv>.<ciphertext and tag>`, written now, bound to the store key;
 * - `enc1.<key id>.<iv>.<ciphertext and tag>`, written by earlier versions, bound to the
 *   session id itself: still read by the manager (which knows the id) and rewritten as `enc2`
 *   on the record's next write; a tool that has only the store key cannot open it.
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
  /**
   * Upgrading from 0.2.0 while its instances still run: write records in the form they read
   * (`enc1`, bound to the session id) instead of `enc2` (bound to the store key), so that no
   * shopper reads as logged out on an old instance during the rollout. Both forms are always
   * read. Remove it once every instance runs this version: later writes are then `enc2`.
   * `bolt-token-lifecycle sessions` cannot open `enc1` records.
   * @default false
   */
  writeSessionBound?: boolean
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

/** Encrypts and decrypts session records, named by session id (the token manager's view). */
export interface RecordCipher {
  encrypt(plaintext: string, sessionId: string): Promise<string>
  /** Decrypts, or rejects with {@link RecordDecryptionError}. */
  decrypt(stored: string, sessionId: string): Promise<string>
}

/**
 * Encrypts and decrypts session records named by their store key, for tools that see the
 * store and never a session id (the `sessions` admin command).
 */
export interface StoreKeyCipher {
  /** The id of the key that encrypts. */
  readonly currentKeyId: string
  /**
   * Encrypts under the current key, bound to `storeKey` (`enc2`); bound to `sessionId`
   * (`enc1`) instead when the key ring says `writeSessionBound` and the id is given.
   */
  encrypt(plaintext: string, storeKey: string, sessionId?: string): Promise<string>
  /**
   * Decrypts a record stored at `storeKey`; an `enc1` record only when `sessionId` is given
   * (it is bound to the id). Rejects with {@link RecordDecryptionError}.
   */
  decrypt(stored: string, storeKey: string, sessionId?: string): Promise<string>
}

/** Written now: bound to the store key. */
const PREFIX = 'enc2.'
/** Written by earlier versions: bound to the session id. */
const SESSION_BOUND_PREFIX = 'enc1.'
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Whether a stored value is an encrypted record (of either form). */
export function isEncryptedRecord(stored: string): boolean {
  return stored.startsWith(PREFIX) || stored.startsWith(SESSION_BOUND_PREFIX)
}

/**
 * Whether an encrypted record is bound to its session id (`enc1`, written by earlier versions): only
 * the token manager, which knows the id, can open it.
 */
export function isSessionBoundRecord(stored: string): boolean {
  return stored.startsWith(SESSION_BOUND_PREFIX)
}

/** The key id an encrypted record names (stored in clear), or `undefined` for plaintext. */
export function recordKeyId(stored: string): string | undefined {
  return isEncryptedRecord(stored) ? stored.split('.')[1] : undefined
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

/**
 * A key id as an error may quote it. A 32-byte key takes 43 or more characters in base64, so
 * a longer "id" may be a key given in its place (ids and keys swapped): it is never shown.
 */
function quoteId(id: string): string {
  return id.length <= 24 ? `'${id}'` : `of ${id.length} characters (not shown: it may be a key)`
}

function keyBytes(id: string, key: string | Uint8Array): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>
  try {
    // A copy: the caller's array may be changed (or be a view on shared memory).
    bytes = typeof key === 'string' ? fromBase64(key.trim()) : new Uint8Array(key)
  } catch {
    throw invalid(`the key with id ${quoteId(id)} is not valid base64`)
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw invalid(
      `the key with id ${quoteId(id)} must be 32 bytes (AES-256), e.g. from \`openssl rand -base64 32\``,
    )
  }
  return bytes
}

// The two forms' data never coincide: a session id follows `bolt-token-lifecycle:`, a store
// key `bolt-token-lifecycle/enc2:`.
const sessionBoundData = (sessionId: string) =>
  new TextEncoder().encode(`bolt-token-lifecycle:${sessionId}`)
const storeKeyBoundData = (storeKey: string) =>
  new TextEncoder().encode(`bolt-token-lifecycle/enc2:${storeKey}`)

/**
 * Validates the keyring and returns a cipher that names records by session id, binding each
 * to its store key (`storeKeyOf`, the manager's key derivation).
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT` for a missing current key, a bad id or a key that is not 32 bytes.
 */
export function createRecordCipher(
  options: EncryptionOptions,
  storeKeyOf: (sessionId: string) => string,
): RecordCipher {
  const cipher = createStoreKeyCipher(options)
  return {
    encrypt: (plaintext, sessionId) => cipher.encrypt(plaintext, storeKeyOf(sessionId), sessionId),
    decrypt: (stored, sessionId) => cipher.decrypt(stored, storeKeyOf(sessionId), sessionId),
  }
}

/**
 * Validates the keyring and returns a cipher that names records by store key. Keys are
 * imported into WebCrypto on first use.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT` for a missing current key, a bad id or a key that is not 32 bytes.
 */
export function createStoreKeyCipher(options: EncryptionOptions): StoreKeyCipher {
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
      throw invalid(`a key id ${quoteId(id)} must be 1-64 letters, digits, '_' or '-'`)
    raw.set(id, keyBytes(id, key))
  }
  if (!raw.has(options.current))
    throw invalid(`current (${quoteId(String(options.current))}) must name one of keys`)
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
    currentKeyId: options.current,

    async encrypt(plaintext, storeKey, sessionId) {
      const sessionBound = options.writeSessionBound === true && sessionId !== undefined
      const key = await (cryptoKey(options.current) as Promise<CryptoKey>)
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
      const additionalData = sessionBound
        ? sessionBoundData(sessionId)
        : storeKeyBoundData(storeKey)
      const sealed = await globalThis.crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData },
        key,
        new TextEncoder().encode(plaintext),
      )
      const prefix = sessionBound ? SESSION_BOUND_PREFIX : PREFIX
      return `${prefix}${options.current}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`
    },

    async decrypt(stored, storeKey, sessionId) {
      const [, keyId = '', ivText = '', sealedText = ''] = stored.split('.')
      const key = cryptoKey(keyId)
      if (key === undefined)
        throw new RecordDecryptionError(keyId, `no key with id '${keyId}' is configured`)
      let additionalData: Uint8Array<ArrayBuffer>
      if (!isSessionBoundRecord(stored)) additionalData = storeKeyBoundData(storeKey)
      else if (sessionId !== undefined) additionalData = sessionBoundData(sessionId)
      else
        throw new RecordDecryptionError(
          keyId,
          "the record is bound to its session id (written by an earlier version): only the token manager can open it, and it rewrites it on the session's next write",
        )
      try {
        const opened = await globalThis.crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64(ivText), additionalData },
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
