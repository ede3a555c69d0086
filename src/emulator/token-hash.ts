import { createHash } from 'node:crypto'

/**
 * How the emulator reports a token, code or secret it was sent: `sha256:` and the first 16 hex
 * digits of the value's SHA-256. Enough to tell presented tokens apart and to match one a test
 * holds (`tokenHash(presented)`), and useless for replaying it: a reader of the request log
 * (`GET /__emulator/requests`) cannot turn it back into a token Bolt would accept.
 *
 * @example
 * expect(bolt.requests.at(-1)?.refreshTokenHash).toBe(tokenHash(presentedRefreshToken))
 * @group Emulator
 */
export function tokenHash(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`
}
