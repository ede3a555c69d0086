import { SignJWT } from 'jose'
import type { Account } from './accounts.js'
import type { SigningKey } from './signing-keys.js'

/**
 * The claims of an ID token, exactly the set in Bolt's example token (times in seconds):
 * no `sub` and no `aud`, because Bolt's has none.
 * @group Emulator
 */
export interface IdTokenClaims {
  email: string
  email_verified: boolean
  first_name: string
  last_name: string
  phone_number: string
  phone_number_verified: boolean
  /** Issuer ({@link BoltEmulatorOptions.idTokenIssuer}). */
  iss: string
  /** Issued at, seconds since the epoch. */
  iat: number
  /** Expires at, seconds since the epoch. */
  exp: number
}

/** The claims Bolt puts in an ID token for `account`, issued at `iat` for `ttlSeconds`. */
export function idTokenClaims(
  account: Account,
  iss: string,
  iat: number,
  ttlSeconds: number,
): IdTokenClaims {
  return {
    email: account.email,
    email_verified: account.emailVerified,
    first_name: account.firstName,
    last_name: account.lastName,
    phone_number: account.phone,
    phone_number_verified: account.phoneVerified,
    iss,
    iat,
    exp: iat + ttlSeconds,
  }
}

/**
 * Signs `claims` as a compact RS256 JWT. The header is Bolt's, `{"alg":"RS256","typ":"JWT"}`,
 * plus the key's `kid` when `withKid`.
 */
export function signIdToken(
  claims: IdTokenClaims,
  key: SigningKey,
  withKid: boolean,
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(withKid ? { kid: key.jwk.kid } : {}) })
    .sign(key.privateKey)
}
