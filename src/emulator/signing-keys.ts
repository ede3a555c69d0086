import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { EmulatorJwk } from './types.js'

/** The emulator's ID-token signing key: an RSA key pair for RS256, as Bolt signs with. */
export interface SigningKey {
  /** Signs ID tokens. */
  privateKey: CryptoKey
  /** The public half, with its `kid` (the RFC 7638 thumbprint). */
  jwk: EmulatorJwk
}

/** Holds the current signing key; the JWKS lists only that one. */
export interface SigningKeyRing {
  current(): SigningKey
  /** Replaces the current key with a fresh one and returns its public half. */
  rotate(): Promise<EmulatorJwk>
  /** The JWKS document: `{ keys: [current public key] }` (a copy). */
  jwks(): { keys: EmulatorJwk[] }
}

/** Generates a fresh RS256 key pair, with its public JWK. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const { n, e } = await exportJWK(publicKey)
  if (n === undefined || e === undefined) throw new Error('The RSA public key did not export')
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n, e })
  return { privateKey, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } }
}

// Generating an RSA key takes about 200 ms: test suites start hundreds of emulators, so they
// all begin with this process's one key; rotate() gives an emulator a key of its own.
let firstKey: Promise<SigningKey> | undefined

/**
 * Creates a key ring. Every ring of a process starts with the same key, generated once;
 * {@link SigningKeyRing.rotate} replaces it with a fresh one for that ring alone.
 */
export async function createSigningKeyRing(): Promise<SigningKeyRing> {
  firstKey ??= generateSigningKey().catch((error: unknown) => {
    firstKey = undefined
    throw error
  })
  let key = await firstKey
  return {
    current: () => key,
    async rotate() {
      key = await generateSigningKey()
      return { ...key.jwk }
    },
    jwks: () => ({ keys: [{ ...key.jwk }] }),
  }
}
