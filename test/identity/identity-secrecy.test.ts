// The shopper's identity stays out of log lines and lifecycle events: a whole session (login,
// identity, refresh, a refused forgery, step-up, logout) with a recording logger and listener,
// swept for every claim value.
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { LifecycleEvent } from '../../src/manager/lifecycle-events.js'
import { createTokenManager } from '../../src/manager/token-manager.js'
import { startFakeBolt } from './fake-bolt.js'
import { boltClaims, CLAIM_MARKERS, rsaKey, signHs256, signRs256 } from './forge.js'

describe('the identity in logs and events', () => {
  it('no claim value appears in any log line or lifecycle event', async () => {
    const bolt = rsaKey('bolt-key-1')
    const fake = await startFakeBolt({ jwks: () => ({ keys: [bolt.jwk] }) })
    const clock = { now: Date.UTC(2026, 0, 19, 12, 0, 0) }
    const lines: string[] = []
    const record = (level: string) => (fields: Record<string, unknown>, message: string) =>
      lines.push(`${level} ${message} ${inspect(fields, { depth: 10 })}`)
    const logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    }
    const tokens = createTokenManager({
      clientId: 'pk_identity_tests',
      clientSecret: 'sk_identity_tests_secret',
      baseUrl: fake.url,
      clock: () => clock.now,
      logger,
      retry: false,
    })
    const events: LifecycleEvent[] = []
    tokens.subscribe((event) => events.push(event))

    const genuine = () => signRs256(boltClaims(fake.url, clock.now), bolt.privateKey)
    await tokens.exchangeCode('s', { code: fake.issue(genuine()) })
    expect(await tokens.getIdentity('s')).toMatchObject({ first_name: 'Zanzibar' })
    clock.now += 61 * 60_000
    await tokens.getAccessToken('s')
    expect(await tokens.getIdentity('s')).toMatchObject({ first_name: 'Zanzibar' })
    await tokens.exchangeCode('s', {
      code: fake.issue(signHs256(boltClaims(fake.url, clock.now), JSON.stringify(bolt.jwk))),
    })
    await expect(tokens.getIdentity('s')).rejects.toMatchObject({ code: 'ID_TOKEN_INVALID' })
    await tokens.exchangeCode('s', { code: fake.issue(genuine()) })
    expect(await tokens.getIdentity('s')).toMatchObject({ first_name: 'Zanzibar' })
    await tokens.logout('s')
    expect(await tokens.getIdentity('s')).toBeNull()

    expect(lines.length).toBeGreaterThan(5)
    expect(events.map((event) => event.type)).toContain('transition')
    const printed = [...lines, ...events.map((event) => inspect(event, { depth: 10 }))]
    for (const text of printed) {
      for (const marker of CLAIM_MARKERS) expect(text).not.toContain(marker)
    }
  })
})
