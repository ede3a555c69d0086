import { beforeEach, describe, expect, it, vi } from 'vitest'
import { type BoltEmulator, faults, tokenHash } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import { control, exchangeCode, getAccount, refresh, signIn, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({ now: T0 })
})

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
    expect(lost?.refreshTokenHash).toBe(tokenHash(tokens.refresh_token))
    const retry = await refresh(bolt, tokens.refresh_token)
    expect(retry.status).toBe(422)
    expect(retry.json.error).toBe('invalid_grant')
    expect(bolt.stats.reuseDetected).toBe(1)
  })

  it('drop after, inside a grace window: the retry gets the lost response', async () => {
    bolt = await startEmulator({ now: T0, refreshGraceMs: 5_000 })
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
    expect(statuses).toEqual([500, 500, 503, 422])
  })

  it('keeps token and account faults apart', async () => {
    const tokens = await signIn(bolt)
    bolt.injectFault(faults.html(502), { route: 'account' })
    expect((await refresh(bolt, 'rt_x')).status).toBe(422)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(502)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(200)
    expect(bolt.stats.accountReads).toBe(1)
  })

  it('clearFaults forgets every queued fault', async () => {
    bolt.injectFault(faults.serverError(), { times: 5 })
    bolt.injectFault(faults.html(502), { route: 'account' })
    bolt.clearFaults()
    expect((await refresh(bolt, 'rt_x')).status).toBe(422)
    expect((await getAccount(bolt)).status).toBe(401)
  })

  it('stall: sends the status, headers and part of the body, then never finishes', async () => {
    const { code } = bolt.login()
    bolt.injectFault({ type: 'stall', headers: { 'X-Fault': 'stall' } })
    const controller = new AbortController()

    const response = await fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'x-api-key': bolt.clientSecret },
      body: new URLSearchParams({ grant_type: 'authorization_code', code }),
      signal: controller.signal,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('x-fault')).toBe('stall')
    expect(response.headers.get('content-length')).toBeNull()
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('{"access_token":"')
    const rest = reader.read()
    const stillOpen = await Promise.race([
      rest.then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('open'), 150)),
    ])
    expect(stillOpen).toBe('open')
    controller.abort()
    await expect(rest).rejects.toThrow()

    expect(bolt.stats).toMatchObject({ tokenRequests: 1, codeExchanges: 0 })
    expect(bolt.requests[0]?.status).toBe(0)
    expect((await exchangeCode(bolt, code)).status).toBe(200)
  })

  it('stall: a chosen status and partial body; close() ends the stalled connection', async () => {
    bolt.injectFault(faults.stall('{"padding":"'))
    bolt.injectFault({
      type: 'stall',
      status: 502,
      body: '<html>',
      headers: { 'content-type': 'text/html' },
    })
    const first = await fetch(`${bolt.url}/v1/oauth/token`, { method: 'POST' })
    const second = await fetch(`${bolt.url}/v1/oauth/token`, { method: 'POST' })
    expect([first.status, second.status]).toEqual([200, 502])
    expect(second.headers.get('content-type')).toBe('text/html')
    const reading = Promise.all([first.text(), second.text()])

    await bolt.close()

    await expect(reading).rejects.toThrow()
  })

  it('transform: performs the grant, then rewrites the JSON answer', async () => {
    const { code } = bolt.login()
    bolt.injectFault(
      faults.transform({
        omit: ['refresh_token_scope', 'id_token'],
        set: { scope: 'openid', expires_in: '3600' },
      }),
    )

    const answer = await exchangeCode(bolt, code)

    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ scope: 'openid', expires_in: '3600', token_type: 'bearer' })
    expect(answer.json).not.toHaveProperty('refresh_token_scope')
    expect(answer.json).not.toHaveProperty('id_token')
    expect(bolt.stats.codeExchanges).toBe(1)
    expect(bolt.requests[0]?.status).toBe(200)
    // The tokens in it are real: the access token reads the account, the refresh token rotates.
    expect((await getAccount(bolt, answer.json.access_token as string)).status).toBe(200)
    expect((await refresh(bolt, answer.json.refresh_token as string)).status).toBe(200)
  })

  it('transform: rewrites error answers and Account API answers, with a matching Content-Length', async () => {
    bolt.injectFault(faults.transform({ set: { '.tag': 'invalid_grant' }, omit: ['error'] }))
    const rewritten = await refresh(bolt, 'rt_unknown')
    expect(rewritten.status).toBe(422)
    expect(rewritten.json).toEqual({
      '.tag': 'invalid_grant',
      error_description: 'The refresh token is invalid',
    })

    bolt.injectFault(faults.transform({ set: { added: true } }), { route: 'account' })
    const tokens = await signIn(bolt)
    const response = await fetch(`${bolt.url}/v1/account`, {
      headers: { authorization: `Bearer ${tokens.access_token}`, 'x-api-key': bolt.clientSecret },
    })
    const text = await response.text()
    expect(response.status).toBe(200)
    expect(JSON.parse(text).added).toBe(true)
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))

    bolt.injectFault(faults.transform({ set: { added: true } }))
    const page = await fetch(`${bolt.url}/v1/oauth/token`, { method: 'GET' })
    expect(page.status).toBe(405)
    expect(await page.json()).toMatchObject({ error: 'invalid_request', added: true })
  })

  it('transform: a copy of `set` is queued; later edits of the object do not leak in', async () => {
    const set: Record<string, unknown> = { scope: 'openid' }
    bolt.injectFault({ type: 'transform', set })
    set.scope = 'bolt.account.manage'
    const answer = await exchangeCode(bolt, bolt.login().code)
    expect(answer.json.scope).toBe('openid')
  })

  it('stall and transform travel through the control API as JSON', async () => {
    const stalled = await control(bolt, 'POST', 'faults', { fault: { type: 'stall', status: 503 } })
    const transformed = await control(bolt, 'POST', 'faults', {
      fault: { type: 'transform', omit: ['scope'] },
    })
    expect([stalled.status, transformed.status]).toEqual([204, 204])
    const controller = new AbortController()
    const response = await fetch(`${bolt.url}/v1/oauth/token`, {
      method: 'POST',
      signal: controller.signal,
    })
    expect(response.status).toBe(503)
    controller.abort()
    const answer = await exchangeCode(bolt, bolt.login().code)
    expect(answer.status).toBe(200)
    expect(answer.json).not.toHaveProperty('scope')

    const bad = await control(bolt, 'POST', 'faults', { fault: { type: 'transform' } })
    expect(bad.status).toBe(400)
    expect(bad.json.error_description).toBe('fault.set or fault.omit is required')
  })

  it('refuses malformed faults and options, naming the field', () => {
    expect(() => bolt.injectFault({ type: 'respond', status: 42, body: '' })).toThrow(
      'fault.status must be an integer from 100 to 599',
    )
    expect(() => bolt.injectFault({ type: 'delay', ms: -1 })).toThrow('fault.ms')
    expect(() => bolt.injectFault({ type: 'drop', when: 'later' as 'after' })).toThrow('fault.when')
    expect(() => bolt.injectFault(faults.serverError(), { times: 0 })).toThrow('times')
    expect(() => bolt.injectFault(faults.serverError(), { route: 'x' as 'token' })).toThrow('route')
    expect(() => bolt.injectFault({ type: 'stall', status: 600 })).toThrow('fault.status')
    expect(() => bolt.injectFault({ type: 'stall', body: 1 as unknown as string })).toThrow(
      'fault.body must be a string',
    )
    expect(() =>
      bolt.injectFault({ type: 'stall', headers: { a: 1 } as unknown as Record<string, string> }),
    ).toThrow('fault.headers')
    expect(() => bolt.injectFault({ type: 'transform' })).toThrow('fault.set or fault.omit')
    expect(() =>
      bolt.injectFault({ type: 'transform', set: [] as unknown as Record<string, unknown> }),
    ).toThrow('fault.set')
    expect(() =>
      bolt.injectFault({ type: 'transform', omit: 'scope' as unknown as string[] }),
    ).toThrow('fault.omit')
  })
})
