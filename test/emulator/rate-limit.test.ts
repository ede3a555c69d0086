/**
 * The emulator's `rateLimit` option: the token endpoint answers 429 with Retry-After past
 * `perSecond` or `inFlight`, counts it, and lets requests through again once there is room.
 */
import { describe, expect, it } from 'vitest'
import { createRateLimiter } from '../../src/emulator/rate-limit.js'
import { startEmulator } from '../support/harness.js'

const tokenRequest = (url: string, clientId: string, clientSecret: string, code: string) =>
  fetch(`${url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': clientSecret },
    body: new URLSearchParams({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'authorization_code',
      code,
      scope: 'bolt.account.manage openid',
    }),
  })

describe('the emulator rate limit', () => {
  it('admits perSecond requests, then answers 429 with Retry-After in whole seconds', async () => {
    let now = 0
    const limiter = createRateLimiter({ perSecond: 3, inFlight: 10 }, () => now)
    const admitted = [limiter.admit(), limiter.admit(), limiter.admit()]
    expect(admitted.map((each) => each.admitted)).toEqual([true, true, true])
    const refused = limiter.admit()
    expect(refused.admitted).toBe(false)
    if (refused.admitted) return
    expect(refused.reply.status).toBe(429)
    expect(refused.reply.headers['retry-after']).toBe('1')
    expect(JSON.parse(refused.reply.body)).toEqual({
      error: 'rate_limited',
      error_description: 'Too many requests; retry after the time in Retry-After',
    })
    // A third of a second later, one request's worth has come back.
    now += 334
    expect(limiter.admit().admitted).toBe(true)
    expect(limiter.admit().admitted).toBe(false)
  })

  it('admits inFlight at once; an answered request makes room', () => {
    const limiter = createRateLimiter({ perSecond: 1_000, inFlight: 2 })
    const first = limiter.admit()
    const second = limiter.admit()
    expect(limiter.admit().admitted).toBe(false)
    if (!first.admitted || !second.admitted) throw new Error('not admitted')
    first.done()
    first.done() // counted once
    expect(limiter.admit().admitted).toBe(true)
    expect(limiter.admit().admitted).toBe(false)
  })

  it('over HTTP: the refused request is counted and logged as 429, and changes nothing', async () => {
    const bolt = await startEmulator({ rateLimit: { perSecond: 2, inFlight: 5 } })
    const codes = [bolt.login().code, bolt.login().code, bolt.login().code]
    const statuses = []
    for (const code of codes) {
      const response = await tokenRequest(bolt.url, bolt.clientId, bolt.clientSecret, code)
      statuses.push([response.status, response.headers.get('retry-after')])
    }
    expect(statuses).toEqual([
      [200, null],
      [200, null],
      [429, '1'],
    ])
    expect(bolt.stats).toMatchObject({ tokenRequests: 3, rateLimited: 1, codeExchanges: 2 })
    expect(bolt.requests.map((request) => request.status)).toEqual([200, 200, 429])
    // The refused code was never looked at: it still works.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const retried = await tokenRequest(bolt.url, bolt.clientId, bolt.clientSecret, codes[2] ?? '')
    expect(retried.status).toBe(200)
  })

  it('refuses a rateLimit that is not { perSecond, inFlight }', async () => {
    await expect(startEmulator({ rateLimit: { perSecond: 0, inFlight: 1 } })).rejects.toThrow(
      /rateLimit must be false or \{ perSecond/,
    )
  })
})
