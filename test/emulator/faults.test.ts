import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type BoltEmulator, faults, startBoltEmulator } from '../../src/emulator/index.js'
import { exchangeCode, getAccount, refresh, signIn, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startBoltEmulator({ now: T0 })
})
afterEach(() => bolt.close())

describe('fault injection', () => {
  it('respond: answers the fault and processes nothing', async () => {
    const tokens = await signIn(bolt)
    bolt.injectFault({
      type: 'respond',
      status: 503,
      body: '{"error":"temporarily_unavailable"}',
      headers: { 'X-Fault': 'yes' },
    })

    const faulted = await refresh(bolt, tokens.refresh_token)

    expect(faulted.status).toBe(503)
    expect(faulted.text).toBe('{"error":"temporarily_unavailable"}')
    expect(faulted.headers.get('content-type')).toBe('application/json')
    expect(faulted.headers.get('x-fault')).toBe('yes')
    expect(bolt.stats).toMatchObject({ tokenRequests: 2, refreshes: 0 })
    expect((await refresh(bolt, tokens.refresh_token)).status).toBe(200)
  })

  it('respond: leaves an authorization code unused', async () => {
    const { code } = bolt.login()
    bolt.injectFault(faults.serverError())
    const faulted = await exchangeCode(bolt, code)
    expect(faulted.status).toBe(500)
    expect(faulted.json).toEqual({
      error: 'server_error',
      error_description: 'The server encountered an unexpected condition',
    })
    expect((await exchangeCode(bolt, code)).status).toBe(200)
  })

  it('faults.html: an nginx error page', async () => {
    bolt.injectFault(faults.html(502))
    bolt.injectFault(faults.html(504))
    const badGateway = await refresh(bolt, 'rt_x')
    expect(badGateway.status).toBe(502)
    expect(badGateway.headers.get('content-type')).toBe('text/html')
    expect(badGateway.text).toContain('<title>502 Bad Gateway</title>')
    expect(badGateway.text).toContain('<center>nginx</center>')
    const timeout = await refresh(bolt, 'rt_x')
    expect(timeout.status).toBe(504)
    expect(timeout.text).toContain('<title>504 Gateway Timeout</title>')
  })

  it('faults.malformedJson: a 200 with a truncated body', async () => {
    bolt.injectFault(faults.malformedJson())
    const answer = await refresh(bolt, 'rt_x')
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(() => JSON.parse(answer.text)).toThrow(SyntaxError)
  })

  it('faults.missingAccessToken: a 200 without access_token', async () => {
    bolt.injectFault(faults.missingAccessToken())
    const answer = await refresh(bolt, 'rt_x')
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.json).sort()).toEqual([
      'expires_in',
      'refresh_token',
      'refresh_token_scope',
      'scope',
      'token_type',
    ])
  })

  it('faults.rateLimited: 429 with Retry-After', async () => {
    bolt.injectFault(faults.rateLimited('7'))
    const answer = await refresh(bolt, 'rt_x')
    expect(answer.status).toBe(429)
    expect(answer.headers.get('retry-after')).toBe('7')
    expect(answer.json.error).toBe('rate_limited')
  })

  it('delay: waits in real time, then processes normally', async () => {
    const tokens = await signIn(bolt)
    bolt.injectFault({ type: 'delay', ms: 150 })
    const started = performance.now()

    const answer = await refresh(bolt, tokens.refresh_token)

    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(answer.status).toBe(200)
    expect(bolt.stats.refreshes).toBe(1)
  })

  it('delay: a client that gives up still had its refresh token rotated', async () => {
    const tokens = await signIn(bolt)
    bolt.injectFault({ type: 'delay', ms: 200 })
    const timedOut = fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'x-api-key': bolt.clientSecret },
      body: new URLSearchParams({
        client_id: bolt.clientId,
        client_secret: bolt.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        scope: 'bolt.account.view',
      }),
      signal: AbortSignal.timeout(50),
    })
    await expect(timedOut).rejects.toThrow()

    await vi.waitFor(() => expect(bolt.stats.refreshes).toBe(1), { timeout: 2_000 })
    expect(bolt.requests.at(-1)?.status).toBe(0)
    expect((await refresh(bolt, tokens.refresh_token)).json.error).toBe('invalid_grant')
  })

  it('drop before: closes the connection without processing', async () => {
    const { code } = bolt.login()
    bolt.injectFault({ type: 'drop', when: 'before' })

    await expect(exchangeCode(bolt, code)).rejects.toThrow(TypeError)

    expect(bolt.stats).toMatchObject({ tokenRequests: 1, codeExchanges: 0 })
    expect(bolt.requests[0]?.status).toBe(0)
    expect((await exchangeCode(bolt, code)).status).toBe(200)
  })

  it('drop after: rotates, then closes without answering; the presented token is spent', async () => {
    const tokens = await signIn(bolt)
    bolt.injectFault({ type: 'drop', when: 'after' })

    await expect(refresh(bolt, tokens.refresh_token)).rejects.toThrow(TypeError)

    expect(bolt.stats.refreshes).toBe(1)
    const lost = bolt.requests.at(-1)
    expect(lost).toMatchObject({ grantType: 'refresh_token', status: 0 })
    expect(lost?.refreshToken).toBe(tokens.refresh_token)
    const retry = await refresh(bolt, tokens.refresh_token)
    expect(retry.status).toBe(400)
    expect(retry.json.error).toBe('invalid_grant')
    expect(bolt.stats.reuseDetected).toBe(1)
  })

  it('drop after, inside a grace window: the retry gets the lost response', async () => {
    await bolt.close()
    bolt = await startBoltEmulator({ now: T0, refreshGraceMs: 5_000 })
    const tokens = await signIn(bolt)
    bolt.injectFault({ type: 'drop', when: 'after' })
    await expect(refresh(bolt, tokens.refresh_token)).rejects.toThrow(TypeError)

    const retry = await refresh(bolt, tokens.refresh_token)

    expect(retry.status).toBe(200)
    expect(bolt.stats).toMatchObject({ refreshes: 1, graceReissues: 1 })
  })

  it('applies a fault `times` times, queued faults in FIFO order, then normal service', async () => {
    bolt.injectFault(faults.serverError(500), { times: 2 })
    bolt.injectFault(faults.serverError(503))
    const statuses = []
    for (let i = 0; i < 4; i += 1) statuses.push((await refresh(bolt, 'rt_x')).status)
    expect(statuses).toEqual([500, 500, 503, 400])
  })

  it('keeps token and account faults apart', async () => {
    const tokens = await signIn(bolt)
    bolt.injectFault(faults.html(502), { route: 'account' })
    expect((await refresh(bolt, 'rt_x')).status).toBe(400)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(502)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(200)
    expect(bolt.stats.accountReads).toBe(1)
  })

  it('clearFaults forgets every queued fault', async () => {
    bolt.injectFault(faults.serverError(), { times: 5 })
    bolt.injectFault(faults.html(502), { route: 'account' })
    bolt.clearFaults()
    expect((await refresh(bolt, 'rt_x')).status).toBe(400)
    expect((await getAccount(bolt)).status).toBe(401)
  })

  it('refuses malformed faults and options, naming the field', () => {
    expect(() => bolt.injectFault({ type: 'respond', status: 42, body: '' })).toThrow(
      'fault.status must be an integer from 100 to 599',
    )
    expect(() => bolt.injectFault({ type: 'delay', ms: -1 })).toThrow('fault.ms')
    expect(() => bolt.injectFault({ type: 'drop', when: 'later' as 'after' })).toThrow('fault.when')
    expect(() => bolt.injectFault(faults.serverError(), { times: 0 })).toThrow('times')
    expect(() => bolt.injectFault(faults.serverError(), { route: 'x' as 'token' })).toThrow('route')
  })
})
