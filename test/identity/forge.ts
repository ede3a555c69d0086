// ID tokens, genuine and forged, for the identity tests: RS256 with Bolt's key (the fake's) or
// another one, `alg: none`, HMAC keyed with the public key (key confusion), a changed payload.
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'

/** An RSA signing key and its public JWK. */
export interface RsaKey {
  privateKey: KeyObject
  publicKey: KeyObject
  /** The public JWK, with `kid`, `alg` and `use` as Bolt would publish them. */
  jwk: Record<string, string>
}

/** Generates an RSA key (2048 bits) named `kid`. */
export function rsaKey(kid: string): RsaKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const exported = publicKey.export({ format: 'jwk' }) as Record<string, string>
  return { privateKey, publicKey, jwk: { ...exported, kid, alg: 'RS256', use: 'sig' } }
}

/** The claims of a Bolt ID token issued by `issuer` at `nowMs`, with `extra` merged in. */
export function boltClaims(
  issuer: string,
  nowMs: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000)
  return {
    email: 'zanzibar.quill@claims.example',
    email_verified: true,
    first_name: 'Zanzibar',
    last_name: 'Quillfeather',
    phone_number: '+14155550199',
    phone_number_verified: true,
    iss: issuer,
    iat,
    exp: iat + 3310,
    ...extra,
  }
}

/** Words of {@link boltClaims}' values that must never appear in an error or a log line. */
export const CLAIM_MARKERS = [
  'zanzibar',
  'Zanzibar',
  'Quillfeather',
  'claims.example',
  '4155550199',
]

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Signs `claims` with RS256 (header as Bolt's: no `kid` unless given). */
export function signRs256(claims: object, key: KeyObject, kid?: string): string {
  const header = segment({ alg: 'RS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
  const body = `${header}.${segment(claims)}`
  // node:crypto's one-shot sign, so that the tests do not rely on what they test (jose).
  return `${body}.${sign('sha256', Buffer.from(body), key).toString('base64url')}`
}

/** An unsigned token: `alg: none` and an empty signature. */
export function unsigned(claims: object): string {
  return `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims)}.`
}

/** HS256 keyed with `secret` (key confusion: the RSA public key's bytes as the HMAC secret). */
export function signHs256(claims: object, secret: string | Buffer, kid?: string): string {
  const header = segment({ alg: 'HS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
  const body = `${header}.${segment(claims)}`
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
}

/** The forms of a public key an attacker might use as an HMAC secret. */
export function publicKeyForms(key: RsaKey): { name: string; secret: string | Buffer }[] {
  const publicKey = createPublicKey(key.privateKey)
  return [
    { name: 'PEM (SPKI)', secret: publicKey.export({ format: 'pem', type: 'spki' }) as string },
    { name: 'PEM (PKCS#1)', secret: publicKey.export({ format: 'pem', type: 'pkcs1' }) as string },
    { name: 'DER bytes', secret: publicKey.export({ format: 'der', type: 'spki' }) },
    { name: 'JWK JSON', secret: JSON.stringify(key.jwk) },
    { name: 'modulus bytes', secret: Buffer.from(key.jwk.n ?? '', 'base64url') },
  ]
}

/** `token` with its payload replaced by `claims`, the signature kept. */
export function withPayload(token: string, claims: object): string {
  const [header, , signature] = token.split('.')
  return `${header}.${segment(claims)}.${signature}`
}
