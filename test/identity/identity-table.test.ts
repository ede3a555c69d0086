// getIdentity against a loopback "Bolt" that hands the manager genuine and forged ID tokens
// through a real code exchange: each row's exact outcome, and that no claim of a refused token
// reaches the error.
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { isBoltTokenError } from '../../src/errors.js'
import type { ShopperIdentity } from '../../src/identity/claims.js'
import type { TokenManagerOptions } from '../../src/manager/options.js'
import { createTokenManager, type TokenManager } from '../../src/manager/token-manager.js'
import { closedPort, type FakeBolt, type FakeBoltOptions, startFakeBolt } from './fake-bolt.js'
import {
  boltClaims,
  CLAIM_MARKERS,
  publicKeyForms,
  rsaKey,
  signHs256,
  signRs256,
  unsigned,
  withPayload,
} from './forge.js'

const NOW = Date.UTC(2026, 0, 19, 12, 0, 0)
const CLIENT_ID = 'pk_identity_tests'
const bolt = rsaKey('bolt-key-1')
const stranger = rsaKey('stranger-key')

/** A fake Bolt publishing `bolt`'s key (with its kid), and a manager pointed at it. */
async function scene(
  fakeOptions: Partial<FakeBoltOptions> = {},
  managerOptions: Partial<TokenManagerOptions> = {},
): Promise<{ fake: FakeBolt; tokens: TokenManager }> {
  const fake = await startFakeBolt({ jwks: () => ({ keys: [bolt.jwk] }), ...fakeOptions })
  const tokens = createTokenManager({
    clientId: CLIENT_ID,
    clientSecret: 'sk_identity_tests_secret',
    baseUrl: fake.url,
    clock: () => NOW,
    retry: false,
    ...managerOptions,
  })
  return { fake, tokens }
}

/** Logs a session in with `idToken` as the exchange's ID token; resolves its identity or error. */
async function identityAfterLogin(
  fake: FakeBolt,
  tokens: TokenManager,
  idToken: string,
): Promise<ShopperIdentity | null> {
  const sessionId = `session-${Math.random()}`
  await tokens.exchangeCode(sessionId, { code: fake.issue(idToken) })
  return tokens.getIdentity(sessionId)
}

/** The rejection of `promise`, checked to carry none of the claims' values. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error: unknown = await promise.then(
    () => expect.fail('the identity was accepted'),
    (reason: unknown) => reason,
  )
  if (!isBoltTokenError(error)) throw error
  const printed = [inspect(error, { depth: 10 }), JSON.stringify(error.toJSON()), error.message]
  for (const text of printed) {
    for (const marker of CLAIM_MARKERS) expect(text).not.toContain(marker)
  }
  return { code: error.code, message: error.message }
}

type Row = {
  name: string
  token: (issuer: string) => string
  /** `'accepted'`, or the code and a pattern of the reason in the message. */
  outcome: 'accepted' | { code: string; reason: RegExp }
}

const claims = (issuer: string, extra: Record<string, unknown> = {}, nowMs = NOW) =>
  boltClaims(issuer, nowMs, extra)
const rs256 = (issuer: string, extra: Record<string, unknown> = {}, nowMs = NOW) =>
  signRs256(claims(issuer, extra, nowMs), bolt.privateKey)
const refused = (reason: RegExp) => ({ code: 'ID_TOKEN_INVALID', reason })

const rows: Row[] = [
  { name: 'valid (Bolt: no kid, no sub, no aud)', token: (iss) => rs256(iss), outcome: 'accepted' },
  {
    name: 'valid, with the kid of the published key',
    token: (iss) => signRs256(claims(iss), bolt.privateKey, 'bolt-key-1'),
    outcome: 'accepted',
  },
  {
    name: 'expired before the login',
    token: (iss) => rs256(iss, {}, NOW - 2 * 3_600_000),
    outcome: refused(/expired when the session received it/),
  },
  {
    name: 'expired 30 s before the login (within the leeway)',
    token: (iss) => rs256(iss, { exp: Math.floor(NOW / 1000) - 30 }, NOW - 3_000_000),
    outcome: 'accepted',
  },
  {
    name: 'iat two minutes in the future',
    token: (iss) => rs256(iss, {}, NOW + 120_000),
    outcome: refused(/issued in the future/),
  },
  {
    name: 'iat 30 s in the future (within the leeway)',
    token: (iss) => rs256(iss, {}, NOW + 30_000),
    outcome: 'accepted',
  },
  {
    name: 'nbf two minutes in the future',
    token: (iss) => rs256(iss, { nbf: Math.floor(NOW / 1000) + 120 }),
    outcome: refused(/not valid yet/),
  },
  {
    name: 'exp before iat',
    token: (iss) => rs256(iss, { exp: Math.floor(NOW / 1000) - 1 }),
    outcome: refused(/expires before it was issued/),
  },
  {
    name: 'wrong issuer',
    token: () => rs256('https://evil.example'),
    outcome: refused(/`iss` is not Bolt's issuer/),
  },
  {
    name: 'issuer on another port',
    token: (iss) => rs256(iss.replace(/:(\d+)$/, (_, port) => `:${Number(port) + 1}`)),
    outcome: refused(/`iss` is not Bolt's issuer/),
  },
  {
    name: 'issuer with https where discovery says http (Bolt writes both)',
    token: (iss) => rs256(iss.replace('http://', 'https://')),
    outcome: 'accepted',
  },
  {
    name: 'issuer with a trailing slash',
    token: (iss) => rs256(`${iss}/`),
    outcome: 'accepted',
  },
  {
    name: 'aud present without the clientId',
    token: (iss) => rs256(iss, { aud: 'pk_someone_else' }),
    outcome: refused(/`aud` does not include this clientId/),
  },
  {
    name: 'aud present with the clientId among others',
    token: (iss) => rs256(iss, { aud: ['pk_someone_else', CLIENT_ID] }),
    outcome: 'accepted',
  },
  {
    name: 'azp present and not the clientId',
    token: (iss) => rs256(iss, { aud: CLIENT_ID, azp: 'pk_someone_else' }),
    outcome: refused(/`azp` is not this clientId/),
  },
  {
    name: 'sub that is not a string',
    token: (iss) => rs256(iss, { sub: 42 }),
    outcome: refused(/`sub` claim is not a string/),
  },
  {
    name: 'email_verified that is not a boolean',
    token: (iss) => rs256(iss, { email_verified: 'true' }),
    outcome: refused(/`email_verified` claim is not a boolean/),
  },
  {
    name: 'no exp',
    token: (iss) => rs256(iss, { exp: undefined }),
    outcome: refused(/lacks `iat` or `exp`/),
  },
  {
    name: 'tampered payload (another email, the signature kept)',
    token: (iss) =>
      withPayload(rs256(iss), claims(iss, { email: 'zanzibar.other@claims.example' })),
    outcome: refused(/signature does not verify/),
  },
  {
    name: 'alg none',
    token: (iss) => unsigned(claims(iss)),
    outcome: refused(/algorithm is not RS256/),
  },
  ...publicKeyForms(bolt).flatMap((form) => [
    {
      name: `HS256 keyed with the public key's ${form.name}`,
      token: (iss: string) => signHs256(claims(iss), form.secret),
      outcome: refused(/algorithm is not RS256/),
    },
    {
      name: `HS256 keyed with the public key's ${form.name}, with Bolt's kid`,
      token: (iss: string) => signHs256(claims(iss), form.secret, 'bolt-key-1'),
      outcome: refused(/algorithm is not RS256/),
    },
  ]),
  {
    name: 'signed by another RSA key, without kid',
    token: (iss) => signRs256(claims(iss), stranger.privateKey),
    outcome: refused(/signature does not verify/),
  },
  {
    name: 'signed by another RSA key, with its own kid',
    token: (iss) => signRs256(claims(iss), stranger.privateKey, 'stranger-key'),
    outcome: refused(/key that is not in Bolt's JWKS/),
  },
  {
    name: "signed by another RSA key, claiming Bolt's kid",
    token: (iss) => signRs256(claims(iss), stranger.privateKey, 'bolt-key-1'),
    outcome: refused(/signature does not verify/),
  },
  {
    name: 'not a JWT',
    token: () => 'not-a-jwt',
    outcome: refused(/not a well-formed signed JWT/),
  },
]

describe('getIdentity: the identity table (a loopback Bolt, RS256 JWKS with a kid)', () => {
  for (const { name, token, outcome } of rows)
    it(name, async () => {
      const { fake, tokens } = await scene()
      const result = identityAfterLogin(fake, tokens, token(fake.url))
      if (outcome === 'accepted') {
        const identity = await result
        expect(identity).toMatchObject({
          email: 'zanzibar.quill@claims.example',
          email_verified: true,
          first_name: 'Zanzibar',
          last_name: 'Quillfeather',
          phone_number: '+14155550199',
          phone_number_verified: true,
        })
        return
      }
      const error = await refusal(result)
      expect(error.code).toBe(outcome.code)
      expect(error.message).toMatch(outcome.reason)
    })

  it('a view-only login: an ID token expired when received is refused, as of its receipt', async () => {
    const { fake, tokens } = await scene()
    const sessionId = 'view-only-login'
    const expired = rs256(fake.url, {}, NOW - 2 * 3_600_000)
    await tokens.exchangeCode(sessionId, {
      code: fake.issue(expired, 'bolt.account.view openid'),
      scope: 'bolt.account.view openid',
    })
    expect((await tokens.getStatus(sessionId)).canManage).toBe(false)
    expect(await refusal(tokens.getIdentity(sessionId))).toEqual({
      code: 'ID_TOKEN_INVALID',
      message: expect.stringMatching(/expired when the session received it/),
    })
  })

  it('a JWKS without kid (as Bolt publishes it) verifies a token without kid', async () => {
    const { kid: _, ...withoutKid } = bolt.jwk
    const { fake, tokens } = await scene({ jwks: () => ({ keys: [withoutKid] }) })
    await expect(identityAfterLogin(fake, tokens, rs256(fake.url))).resolves.toMatchObject({
      email: 'zanzibar.quill@claims.example',
    })
  })

  it('two RSA keys without kid (a rotation): each is tried, a stranger is still refused', async () => {
    const strip = ({ kid: _, ...jwk }: Record<string, string>) => jwk
    const { fake, tokens } = await scene({
      jwks: () => ({ keys: [strip(stranger.jwk), strip(bolt.jwk)] }),
    })
    await expect(identityAfterLogin(fake, tokens, rs256(fake.url))).resolves.toMatchObject({
      first_name: 'Zanzibar',
    })
    const forged = signRs256(claims(fake.url), rsaKey('third').privateKey)
    const error = await refusal(identityAfterLogin(fake, tokens, forged))
    expect(error).toMatchObject({ code: 'ID_TOKEN_INVALID' })
    expect(error.message).toMatch(/signature does not verify/)
  })

  it('unknown claims are kept, readable as unknown', async () => {
    const { fake, tokens } = await scene()
    const identity = await identityAfterLogin(
      fake,
      tokens,
      rs256(fake.url, { loyalty_tier: 'gold' }),
    )
    const tier: unknown = identity?.loyalty_tier
    expect(tier).toBe('gold')
    expect(Object.isFrozen(identity)).toBe(true)
  })
})

describe('getIdentity: when the keys cannot be had', () => {
  it('JWKS unreachable (port closed): NETWORK_ERROR', async () => {
    const port = await closedPort()
    const { fake, tokens } = await scene({
      jwksUri: () => `http://127.0.0.1:${port}/v3/oauth/jwks.json`,
    })
    const error = await refusal(identityAfterLogin(fake, tokens, rs256(fake.url)))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toMatch(/Bolt's JWKS .* could not be reached/)
  })

  it('JWKS slower than identity.timeoutMs: TIMEOUT within the bound', async () => {
    const { fake, tokens } = await scene({ jwksDelayMs: 5_000 }, { identity: { timeoutMs: 300 } })
    const started = performance.now()
    const error = await refusal(identityAfterLogin(fake, tokens, rs256(fake.url)))
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toMatch(/did not answer within 300 ms \(identity\.timeoutMs\)/)
    expect(performance.now() - started).toBeLessThan(2_500)
  })

  it('discovery unreachable (Bolt down): NETWORK_ERROR', async () => {
    const store = createMemoryStore()
    const { fake, tokens } = await scene({}, { store })
    await tokens.exchangeCode('discovery-down', { code: fake.issue(rs256(fake.url)) })
    // A second instance sharing the store, whose baseUrl nothing answers.
    const offline = createTokenManager({
      clientId: CLIENT_ID,
      clientSecret: 'sk_identity_tests_secret',
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      clock: () => NOW,
      store,
    })
    const error = await refusal(offline.getIdentity('discovery-down'))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toMatch(/discovery document could not be reached/)
  })

  it('discovery naming another issuer: INVALID_RESPONSE, no identity', async () => {
    const { fake, tokens } = await scene({ issuer: () => 'https://evil.example' })
    const error = await refusal(identityAfterLogin(fake, tokens, rs256(fake.url)))
    expect(error.code).toBe('INVALID_RESPONSE')
    expect(error.message).toMatch(/discovery document names an issuer other than/)
  })
})
