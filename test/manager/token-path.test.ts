import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { startSinkServer } from '../support/sink-server.js'

describe('tokenPath', () => {
  it("posts to Bolt's v1 path by default", async () => {
    const sink = await startSinkServer()
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport(), { baseUrl: sink.url, retry: false })
    await tokens.exchangeCode('s1', { code: 'a-code' }).catch(() => {})
    expect(sink.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /v1/oauth/token',
    ])
  })

  it("/v3/oauth/token (the path in Bolt's discovery document): login and refresh go there", async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport(), { tokenPath: '/v3/oauth/token' })
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    await tokens.getAccessToken('s1')
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    expect(bolt.requests.map((request) => request.path)).toEqual([
      '/v3/oauth/token',
      '/v3/oauth/token',
    ])
  })

  it('refuses a tokenPath that is not a path', async () => {
    const bolt = await startEmulator()
    for (const tokenPath of [
      'v3/oauth/token',
      'https://elsewhere.example/token',
      '/v1//token',
      '',
    ]) {
      expect(() => managerFor(bolt, createFetchTransport(), { tokenPath })).toThrow(
        "`tokenPath` must be a path such as '/v1/oauth/token'",
      )
    }
  })
})
