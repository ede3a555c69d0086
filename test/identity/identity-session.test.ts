// getIdentity across a session's life over the loopback Bolt: it survives a refresh (which
// carries no ID token), a new login replaces it, logout and a login without openid give null;
// one store read and no token request per call; verified identities are cached per token.
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import type { TokenStore } from '../../src/contracts.js'
import { createTokenManager, type TokenManager } from '../../src/manager/token-manager.js'
import { type FakeBolt, startFakeBolt } from './fake-bolt.js'
import { boltClaims, rsaKey, signRs256 } from './forge.js'

const START = Date.UTC(2026, 0, 19, 12, 0, 0)
const HOUR = 3_600_000
const bolt = rsaKey('bolt-key-1')

/** A fake Bolt, a store that counts reads, and a manager on a clock the test moves. */
async function scene() {
  const fake = await startFakeBolt({ jwks: () => ({ keys: [bolt.jwk] }) })
  const clock = { now: START }
  const memory = createMemoryStore({ clock: () => clock.now })
  const reads = { count: 0 }
  // Without getNow/getThen, every read goes through get(), where it is counted.
  const store: TokenStore = {
    get: (key) => {
      reads.count += 1
      return memory.get(key)
    },
    compareAndSet: (key, value, options) => memory.compareAndSet(key, value, options),
    delete: (key) => memory.delete(key),
    subscribe: (key, listener) => memory.subscribe(key, listener),
  }
  const tokens = createTokenManager({
    clientId: 'pk_identity_tests',
    clientSecret: 'sk_identity_tests_secret',
    baseUrl: fake.url,
    clock: () => clock.now,
    store,
    retry: false,
  })
  return { fake, clock, reads, tokens }
}

function idTokenFor(fake: FakeBolt, nowMs: number, extra: Record<string, unknown> = {}): string {
  return signRs256(boltClaims(fake.url, nowMs, extra), bolt.privateKey)
}

async function logIn(fake: FakeBolt, tokens: TokenManager, sessionId: string, idToken?: string) {
  await tokens.exchangeCode(sessionId, { code: fake.issue(idToken) })
}

describe('getIdentity over a session', () => {
  it('survives a refresh an hour later (the refresh answer carries no ID token)', async () => {
    const { fake, clock, tokens } = await scene()
    await logIn(fake, tokens, 's', idTokenFor(fake, clock.now))
    const before = await tokens.getIdentity('s')
    clock.now += HOUR + 60_000 // past the ID token's exp (55 minutes) and the access token's
    await tokens.getAccessToken('s') // refreshes: view-only now
    expect((await tokens.getStatus('s')).state).toBe('viewOnly')
    expect(fake.hits['/v1/oauth/token']).toBe(2)
    const after = await tokens.getIdentity('s')
    expect(after).toEqual(before)
    expect(after?.email).toBe('zanzibar.quill@claims.example')
  })

  it('a new login (step-up) replaces it with the new ID token', async () => {
    const { fake, clock, tokens } = await scene()
    await logIn(fake, tokens, 's', idTokenFor(fake, clock.now))
    clock.now += HOUR + 60_000
    await tokens.getAccessToken('s')
    await logIn(fake, tokens, 's', idTokenFor(fake, clock.now, { email: 'new.address@step.up' }))
    expect(await tokens.getIdentity('s')).toMatchObject({
      email: 'new.address@step.up',
      iat: Math.floor(clock.now / 1000),
    })
  })

  it('logout gives null', async () => {
    const { fake, clock, tokens } = await scene()
    await logIn(fake, tokens, 's', idTokenFor(fake, clock.now))
    await tokens.logout('s')
    expect(await tokens.getIdentity('s')).toBeNull()
  })

  it('a login without openid (no ID token) gives null, as does a session never seen', async () => {
    const { fake, tokens } = await scene()
    await logIn(fake, tokens, 's', undefined)
    expect(await tokens.getIdentity('s')).toBeNull()
    expect(await tokens.getIdentity('never-seen')).toBeNull()
  })

  it('one store read per call, no token request, and the JWKS fetched once for many calls', async () => {
    const { fake, clock, reads, tokens } = await scene()
    await logIn(fake, tokens, 's', idTokenFor(fake, clock.now))
    const tokenRequests = fake.hits['/v1/oauth/token']
    reads.count = 0
    await Promise.all([tokens.getIdentity('s'), tokens.getIdentity('s')])
    for (let call = 0; call < 5; call++) await tokens.getIdentity('s')
    expect(reads.count).toBe(7)
    expect(fake.hits['/v1/oauth/token']).toBe(tokenRequests)
    expect(fake.hits['/.well-known/openid-configuration']).toBe(1)
    expect(fake.hits['/v3/oauth/jwks.json']).toBe(1)
    // Answered from the cache of verified tokens: the very same (frozen) identity.
    expect(await tokens.getIdentity('s')).toBe(await tokens.getIdentity('s'))
  })

  it('an unknown key fetches the JWKS again at most once a minute', async () => {
    const { fake, clock, tokens } = await scene()
    await logIn(fake, tokens, 'a', idTokenFor(fake, clock.now))
    await tokens.getIdentity('a')
    const stranger = rsaKey('stranger')
    for (const sessionId of ['b', 'c', 'd']) {
      const forged = signRs256(boltClaims(fake.url, clock.now), stranger.privateKey, 'stranger')
      await logIn(fake, tokens, sessionId, forged)
      await expect(tokens.getIdentity(sessionId)).rejects.toMatchObject({
        code: 'ID_TOKEN_INVALID',
      })
    }
    // The first fetch was under a minute ago: the forged kids could not make it fetch again.
    expect(fake.hits['/v3/oauth/jwks.json']).toBe(1)
  })

  it('a refused token is not cached as verified, and not cached as refused either', async () => {
    const { fake, clock, tokens } = await scene()
    const early = idTokenFor(fake, clock.now + 5 * 60_000) // iat five minutes ahead
    await logIn(fake, tokens, 's', early)
    await expect(tokens.getIdentity('s')).rejects.toMatchObject({ code: 'ID_TOKEN_INVALID' })
    clock.now += 5 * 60_000 // now the token's time has come
    await expect(tokens.getIdentity('s')).resolves.toMatchObject({ first_name: 'Zanzibar' })
  })
})

describe('getIdentity with verifySignature: false', () => {
  it('decodes without any request, and still checks issuer and times', async () => {
    const fake = await startFakeBolt({ jwks: () => ({ keys: [bolt.jwk] }) })
    const tokens = createTokenManager({
      clientId: 'pk_identity_tests',
      clientSecret: 'sk_identity_tests_secret',
      baseUrl: fake.url,
      clock: () => START,
      identity: { verifySignature: false },
    })
    const stranger = rsaKey('stranger')
    await logIn(fake, tokens, 'ok', signRs256(boltClaims(fake.url, START), stranger.privateKey))
    await expect(tokens.getIdentity('ok')).resolves.toMatchObject({ last_name: 'Quillfeather' })
    await logIn(
      fake,
      tokens,
      'iss',
      signRs256(boltClaims('https://evil.example', START), stranger.privateKey),
    )
    await expect(tokens.getIdentity('iss')).rejects.toMatchObject({ code: 'ID_TOKEN_INVALID' })
    const old = signRs256(boltClaims(fake.url, START - 2 * HOUR), stranger.privateKey)
    await logIn(fake, tokens, 'old', old)
    await expect(tokens.getIdentity('old')).rejects.toMatchObject({ code: 'ID_TOKEN_INVALID' })
    await logIn(fake, tokens, 'junk', 'not-a-jwt')
    await expect(tokens.getIdentity('junk')).rejects.toMatchObject({ code: 'ID_TOKEN_INVALID' })
    expect(fake.hits['/.well-known/openid-configuration']).toBeUndefined()
    expect(fake.hits['/v3/oauth/jwks.json']).toBeUndefined()
  })
})
