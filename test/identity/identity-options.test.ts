// The identity option's validation (INVALID_ARGUMENT naming the option), the issuer comparison
// on Bolt's own forms, and getIdentity's argument check.
import { describe, expect, it } from 'vitest'
import { sameIssuer } from '../../src/identity/claims.js'
import { createTokenManager } from '../../src/manager/token-manager.js'

const base = { clientId: 'pk_identity_tests', clientSecret: 'sk_identity_tests_secret' }

describe('the identity option', () => {
  it.each([
    [{ identity: 'yes' }, /`identity` must be an object/],
    [{ identity: null }, /`identity` must be an object/],
    [{ identity: { verifySignature: 'no' } }, /`identity\.verifySignature` must be true or false/],
    [
      { identity: { leewayMs: -1 } },
      /`identity\.leewayMs` must be a number of milliseconds from 0 to 600000/,
    ],
    [{ identity: { leewayMs: 600_001 } }, /`identity\.leewayMs`/],
    [{ identity: { leewayMs: Number.NaN } }, /`identity\.leewayMs`/],
    [{ identity: { timeoutMs: 0 } }, /`identity\.timeoutMs` must be a positive whole number/],
    [{ identity: { timeoutMs: 1.5 } }, /`identity\.timeoutMs`/],
    [{ identity: { timeoutMs: '5000' } }, /`identity\.timeoutMs`/],
  ])('%j is refused with INVALID_ARGUMENT naming the option', (extra, message) => {
    expect(() => createTokenManager({ ...base, ...(extra as object) })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      }),
    )
  })

  it('accepts the documented forms', () => {
    for (const identity of [
      {},
      { verifySignature: false },
      { leewayMs: 0, timeoutMs: 1 },
      { verifySignature: true, leewayMs: 600_000, timeoutMs: 30_000 },
    ]) {
      expect(() => createTokenManager({ ...base, identity })).not.toThrow()
    }
  })

  it('getIdentity refuses a session id that is not a non-empty string', async () => {
    const tokens = createTokenManager(base)
    await expect(tokens.getIdentity('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(tokens.getIdentity(42 as unknown as string)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe('the issuer comparison', () => {
  it.each([
    ['http://api.bolt.com', 'https://api.bolt.com', true], // Bolt's example token vs its discovery
    ['https://api.bolt.com', 'https://api.bolt.com', true],
    ['https://api.bolt.com/', 'https://api.bolt.com', true],
    ['https://api-sandbox.bolt.com', 'https://api.bolt.com', false],
    ['https://api.bolt.com.evil.example', 'https://api.bolt.com', false],
    ['https://api.bolt.com:8443', 'https://api.bolt.com', false],
    ['https://api.bolt.com/other', 'https://api.bolt.com', false],
    ['https://user@api.bolt.com', 'https://api.bolt.com', false],
    ['ftp://api.bolt.com', 'https://api.bolt.com', false],
    ['api.bolt.com', 'https://api.bolt.com', false],
  ])('%s names %s: %s', (iss, issuer, same) => {
    expect(sameIssuer(iss, issuer)).toBe(same)
  })
})
