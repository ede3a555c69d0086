/**
 * The ky transport from the attacker's side: a merchant's ky instance configured (or
 * tampered with) to send elsewhere must not carry the token request, with its API key,
 * client secret and the shopper's code, to a sink server on loopback.
 */
import { inspect } from 'node:util'
import ky from 'ky'
import { describe, expect, it } from 'vitest'
import { createKyTransport } from '../../adapters/http/ky.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { startSinkServer } from '../support/sink-server.js'

describe('createKyTransport sends token requests to Bolt’s token endpoint only', () => {
  it('an instance with a prefixUrl of another host: login and refresh reach Bolt, the sink gets nothing', async () => {
    const bolt = await startEmulator()
    const sink = await startSinkServer()
    const tokens = managerFor(bolt, createKyTransport(ky.create({ prefixUrl: sink.url })))
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s1')
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 1 })
    expect(sink.requests).toEqual([])
  })

  it('an instance with default searchParams: the token request goes to the endpoint as it is', async () => {
    const bolt = await startEmulator()
    const sent: string[] = []
    const watched: typeof fetch = (input, init) => {
      const request = new Request(input, init)
      sent.push(request.url)
      return fetch(request)
    }
    const instance = ky.create({ searchParams: { next: 'elsewhere' }, fetch: watched })
    const tokens = managerFor(bolt, createKyTransport(instance))
    await logIn(bolt, tokens, 's1')
    // The instance's own fetch (a proxy, instrumentation) is still the one that sends.
    expect(sent).toEqual([`${bolt.url}/v1/oauth/token`])
  })

  it('a beforeRequest hook that points the request at another host → refused before sending; the code is not lost', async () => {
    const bolt = await startEmulator()
    const sink = await startSinkServer()
    const tampered = ky.create({
      hooks: {
        beforeRequest: [
          (request) => new Request(`${sink.url}${new URL(request.url).pathname}`, request),
        ],
      },
    })
    const tokens = managerFor(bolt, createKyTransport(tampered))
    const { code } = bolt.login()
    const error = await rejection(tokens.exchangeCode('s1', { code }))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toContain('createKyTransport')
    expect(sink.requests).toEqual([])
    expect(bolt.stats.tokenRequests).toBe(0)
    // Nothing reached anyone: the same code still logs the shopper in over an honest instance.
    const honest = managerFor(bolt, createKyTransport(ky.create({})))
    await honest.exchangeCode('s1', { code })
    expect((await honest.getStatus('s1')).state).toBe('fullyScoped')
  })

  it('a beforeRequest hook that moves the request to another path of Bolt’s host → refused too', async () => {
    const bolt = await startEmulator()
    const moved = ky.create({
      hooks: { beforeRequest: [(request) => new Request(`${bolt.url}/v1/account`, request)] },
    })
    const tokens = managerFor(bolt, createKyTransport(moved))
    const error = await rejection(tokens.exchangeCode('s1', { code: bolt.login().code }))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(bolt.stats).toMatchObject({ tokenRequests: 0, accountReads: 0 })
  })

  it('merchant hooks see the token requests with every secret redacted; Bolt gets the real ones', async () => {
    const bolt = await startEmulator()
    const seen: unknown[] = []
    const instance = ky.create({
      hooks: {
        beforeRequest: [
          async (request) => {
            seen.push(request, [...request.headers], await request.clone().text())
          },
        ],
        afterResponse: [
          (request, options) => {
            seen.push(request, options, [...request.headers])
          },
        ],
      },
    })
    const tokens = managerFor(bolt, createKyTransport(instance))
    const { code } = bolt.login()
    await tokens.exchangeCode('s1', { code })
    const loginToken = await tokens.getAccessToken('s1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    const refreshed = await tokens.getAccessToken('s1')

    expect(bolt.stats).toMatchObject({ codeExchanges: 1, refreshes: 1 })
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    expect(seen).toHaveLength(12)
    const bodies = seen.filter((thing): thing is string => typeof thing === 'string')
    expect(bodies).toHaveLength(2)
    expect(bodies[0]).toContain('client_secret=%5Bredacted%5D')
    expect(bodies[0]).toContain('code=%5Bredacted%5D')
    expect(bodies[1]).toContain('refresh_token=%5Bredacted%5D')
    expect(bodies[1]).toContain('grant_type=refresh_token')
    const text = inspect(seen, { depth: Number.POSITIVE_INFINITY, showHidden: true })
    for (const secret of [bolt.clientSecret, code, loginToken, refreshed]) {
      expect(text).not.toContain(secret)
    }
    expect(text).not.toContain('rt_')
  })
})
