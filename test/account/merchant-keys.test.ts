/**
 * The Account API clients send the merchant's keys Bolt requires with the shopper's token:
 * `X-API-Key` (the manager's API key, or the `apiKey` option for a manager of your own) and
 * `X-Publishable-Key`, on the request only the network sees, under the API root only.
 */
import ky from 'ky'
import { describe, expect, it } from 'vitest'
import { createAccountClient } from '../../adapters/http/ky.js'
import { createAccountFetch } from '../../src/account/account-fetch.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { rejection } from '../support/rejection.js'
import { startSinkServer } from '../support/sink-server.js'
import { accountScene, SESSION } from './account-scene.js'

type Read = (
  tokens: TokenManager,
  options: { baseUrl?: string; apiKey?: string; publishableKey?: string },
) => Promise<number>

const clients: [string, Read][] = [
  [
    'createAccountFetch',
    async (tokens, options) =>
      (await createAccountFetch(tokens, SESSION, options)('/v1/account')).status,
  ],
  [
    'createAccountClient (ky)',
    async (tokens, options) =>
      (await createAccountClient(tokens, SESSION, options).get('v1/account')).status,
  ],
]

/** A `TokenManager` that is not one `createTokenManager` made: a copy of its methods. */
function wrapperOf(tokens: TokenManager): TokenManager {
  return { ...tokens }
}

describe.each(clients)('%s sends X-API-Key and X-Publishable-Key', (_name, read) => {
  it('with the token, to the API root: the manager’s own keys', async () => {
    const scene = await accountScene()
    const bolt = await startSinkServer()
    expect(await read(scene.tokens, { baseUrl: `${bolt.url}/api` })).toBe(200)
    expect(bolt.requests.map((request) => request.headers)).toEqual([
      expect.objectContaining({
        authorization: `Bearer ${await scene.tokens.getAccessToken(SESSION)}`,
        'x-api-key': scene.bolt.clientSecret,
        'x-publishable-key': scene.bolt.clientId,
      }),
    ])
  })

  it('the emulator, which requires both the token and the API key, answers 200', async () => {
    const scene = await accountScene()
    expect(await read(scene.tokens, {})).toBe(200)
    expect(scene.bolt.stats).toMatchObject({ accountReads: 1 })
  })

  it('a manager of your own making: INVALID_ARGUMENT naming apiKey, before any token is read', async () => {
    const scene = await accountScene()
    const error = await rejection(read(wrapperOf(scene.tokens), {}))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toContain('apiKey')
    expect(scene.bolt.stats).toMatchObject({ accountReads: 0, tokenRequests: 0 })
  })

  it('a manager of your own making, with { apiKey, publishableKey }: they are sent', async () => {
    const scene = await accountScene()
    const bolt = await startSinkServer()
    const keys = { apiKey: scene.bolt.clientSecret, publishableKey: scene.bolt.clientId }
    expect(await read(wrapperOf(scene.tokens), { baseUrl: bolt.url, ...keys })).toBe(200)
    expect(bolt.requests[0]?.headers).toMatchObject({
      'x-api-key': keys.apiKey,
      'x-publishable-key': keys.publishableKey,
    })
    expect(await read(wrapperOf(scene.tokens), keys)).toBe(200)
    expect(scene.bolt.stats.accountReads).toBe(1)
  })
})

describe('the API key stays off the request ky and its hooks hold', () => {
  it('a merchant’s beforeRequest and afterResponse hooks see neither the token nor the keys', async () => {
    const scene = await accountScene()
    const seen: Request[] = []
    const account = createAccountClient(scene.tokens, SESSION, {
      ky: ky.create({
        hooks: {
          beforeRequest: [(request) => void seen.push(request)],
          afterResponse: [(request) => void seen.push(request)],
        },
      }),
    })
    expect((await account.get('v1/account')).status).toBe(200)
    expect(seen).toHaveLength(2)
    for (const request of seen) {
      expect([...request.headers.keys()]).not.toContain('x-api-key')
      expect(request.headers.get('authorization')).toBeNull()
    }
  })
})
