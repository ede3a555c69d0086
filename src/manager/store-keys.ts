/**
 * The names sessions are stored under. A store never sees a session id: merchants often use
 * their session cookie as the id, so a key or channel name holding it would hand working
 * cookies to anyone who can list the store's keys. Each key is an HMAC-SHA-256 of the id,
 * keyed with a merchant secret, so it cannot be turned back into the id, nor computed for a
 * guessed id, without that secret.
 *
 * Keys are 43 characters of base64url (`A-Z a-z 0-9 - _`): nothing a store gives meaning to
 * (a Redis Cluster hash tag's braces, a path separator, a SQL wildcard).
 *
 * Synchronous (`@noble/hashes`, not WebCrypto's promise): the valid-token path needs the key
 * before its one store read (the record cache remembers it per session).
 *
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'

/** Domain separation: the same secret keyed for anything else never yields these names. */
const LABEL = 'bolt-token-lifecycle/store-key/v1:'

/** Turns a session id into the key its record is stored under. */
export type StoreKeyOf = (sessionId: string) => string

const encoder = new TextEncoder()

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function secretBytes(secret: string | Uint8Array): Uint8Array {
  // A copy: the caller's array may be changed later, and every key must stay the same.
  return typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret)
}

/**
 * The store key of `sessionId` under `secret` (the token manager's `storeKeySecret`, or its
 * `clientSecret` when that option is not set). For tools that must find one session's
 * record in the store, such as an admin command or a test.
 * @group Testing
 */
export function deriveStoreKey(secret: string | Uint8Array, sessionId: string): string {
  return toBase64Url(hmac(sha256, secretBytes(secret), encoder.encode(`${LABEL}${sessionId}`)))
}

/**
 * Creates the manager's key derivation: {@link deriveStoreKey} with the secret's HMAC state
 * prepared once. (The record cache remembers each session's key.)
 */
export function createStoreKeys(secret: string | Uint8Array): StoreKeyOf {
  const keyed = hmac.create(sha256, secretBytes(secret))
  return (sessionId) =>
    toBase64Url(
      keyed
        .clone()
        .update(encoder.encode(`${LABEL}${sessionId}`))
        .digest(),
    )
}
