import { randomBytes } from 'node:crypto'

/**
 * A fresh unguessable token: `prefix` followed by 32 random bytes in
 * base64url, e.g. `at_…` for access tokens, `rt_…` for refresh tokens,
 * `code_…` for authorization codes.
 */
export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`
}

/** A short random identifier for records that are not secrets (`acct_…`, `addr_…`). */
export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`
}
