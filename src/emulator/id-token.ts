import { createHmac } from 'node:crypto'

/** The claims of the emulator's OpenID Connect ID token (times in seconds). */
export interface IdTokenClaims {
  /** Issuer: the emulator's base URL. */
  iss: string
  /** Subject: the shopper's account id. */
  sub: string
  /** Audience: the merchant's publishable key (`client_id`). */
  aud: string
  /** The shopper's email address. */
  email: string
  /** Issued at, seconds since the epoch. */
  iat: number
  /** Expires at, seconds since the epoch. */
  exp: number
}

/**
 * Signs `claims` as a compact JWT with HS256, keyed by `secret` (the
 * emulator uses the merchant's API key, so tests can verify it).
 */
export function signIdToken(claims: IdTokenClaims, secret: string): string {
  const header = encodeSegment({ alg: 'HS256', typ: 'JWT' })
  const payload = encodeSegment(claims)
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
