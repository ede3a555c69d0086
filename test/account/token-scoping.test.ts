/**
 * Where the Account API clients send the shopper's token, tried from the attacker's side: a
 * sink server on loopback records every request it receives, and every way of pointing a
 * client at it (a URL, a Request, a prefixUrl, a hook, `../`, a redirect, a 401 to provoke a
 * refresh) must leave it with nothing, and the session untouched.
 */
import type { KyInstance } from 'ky'
import { describe, expect, it, vi } from 'vitest'
import { createAccountClient } from '../../adapters/http/ky.js'
import { createAccountFetch } from '../../src/account/account-fetch.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { SAMPLE_ADDRESS } from '../../src/emulator/index.js'
import type { TokenManager } from '../../src/manager/token-manager.js'
import { rejection } from '../support/rejection.js'
import { startSinkServer } from '../support/sink-server.js'
import { accountScene, SESSION } from './account-scene.js'

/** Expects `call` to be refused before the token was read: no refresh, no request anywhere. */
async function expectRefusedUnsent(
  scene: { bolt: BoltEmulator; tokens: TokenManager },
  call: () => Promise<unknown>,
  code = 'INVALID_ARGUMENT',
) {
  const read = vi.spyOn(scene.tokens, 'getAccessToken')
  const error = await rejection(call())
  expect(error.code).toBe(code)
  expect(read).not.toHaveBeenCalled()
  read.mockRestore()
  expect((await scene.tokens.getStatus(SESSION)).state).toBe('fullyScoped')
  expect(scene.bolt.stats).toMatchObject({ tokenRequests: 0, accountReads: 0 })
  return error
}

describe('createAccountClient (ky): the token goes to the API root only', () => {
  const towardsSink: [string, (account: KyInstance, sink: string) => Promise<unknown>][] = [
    [
      'a URL object for another host',
      (account, sink) => account.get(new URL(`${sink}/v1/account`)),
    ],
    [
      'a Request object for another host',
      (account, sink) => account.get(new Request(`${sink}/v1/account`)),
    ],
    [
      'a per-call prefixUrl of another host',
      (account, sink) => account.get('v1/account', { prefixUrl: sink }),
    ],
    [
      'a beforeRequest hook that returns a request for another host',
      (account, sink) =>
        account.get('v1/account', {
          hooks: { beforeRequest: [(request) => new Request(`${sink}/v1/account`, request)] },
        }),
    ],
    [
      'a POST with a body, as a Request for another host',
      (account, sink) =>
        account(
          new Request(`${sink}/v1/account/addresses`, {
            method: 'POST',
            body: JSON.stringify(SAMPLE_ADDRESS),
          }),
        ),
    ],
  ]

  it.each(towardsSink)(
    '%s → INVALID_ARGUMENT; the sink, answering 401, gets nothing and the session stays fully scoped',
    async (_name, call) => {
      const scene = await accountScene()
      const sink = await startSinkServer(() => ({ status: 401, body: '{"error":"invalid_token"}' }))
      const account = createAccountClient(scene.tokens, SESSION)
      await expectRefusedUnsent(scene, () => call(account, sink.url))
      expect(sink.requests).toEqual([])
    },
  )
})

describe('both clients: a path that climbs out of the API root’s path is refused', () => {
  const clients: [
    string,
    (tokens: TokenManager, baseUrl: string, path: string) => Promise<unknown>,
  ][] = [
    [
      'createAccountFetch',
      (tokens, baseUrl, path) => createAccountFetch(tokens, SESSION, { baseUrl })(path),
    ],
    [
      'createAccountClient (ky)',
      (tokens, baseUrl, path) =>
        createAccountClient(tokens, SESSION, { baseUrl }).get(path.replace(/^\//, '')),
    ],
  ]

  it.each(clients)(
    '%s: dot-dot segments (plain, percent-encoded, after v1/) under a base URL with a path',
    async (_name, call) => {
      const scene = await accountScene()
      const bolt = await startSinkServer()
      const baseUrl = `${bolt.url}/api`
      for (const path of ['/../admin', '/%2e%2e/admin', '/v1/../../admin', '/.%2E/admin']) {
        await expectRefusedUnsent(scene, () => call(scene.tokens, baseUrl, path))
      }
      expect(bolt.requests).toEqual([])
      // What stays under the root still gets the token.
      await call(scene.tokens, baseUrl, '/v1/account')
      expect(bolt.requests.map((request) => request.url)).toEqual(['/api/v1/account'])
      expect(bolt.requests[0]?.headers.authorization).toBe(
        `Bearer ${await scene.tokens.getAccessToken(SESSION)}`,
      )
      expect(bolt.requests[0]?.headers['x-api-key']).toBe(scene.bolt.clientSecret)
    },
  )
})

describe('both clients: a redirect is never followed', () => {
  type Send = (tokens: TokenManager, baseUrl: string) => Promise<unknown>
  const post = JSON.stringify(SAMPLE_ADDRESS)
  const clients: [string, Send][] = [
    [
      'createAccountFetch',
      (tokens, baseUrl) =>
        createAccountFetch(tokens, SESSION, { baseUrl })('/v1/account/addresses', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: post,
        }),
    ],
    [
      'createAccountClient (ky)',
      (tokens, baseUrl) =>
        createAccountClient(tokens, SESSION, { baseUrl }).post('v1/account/addresses', {
          body: post,
          headers: { 'content-type': 'application/json' },
        }),
    ],
  ]

  it.each(clients)(
    '%s: a 307 to another host → INVALID_RESPONSE; the sink gets nothing',
    async (_name, send) => {
      const scene = await accountScene()
      const sink = await startSinkServer()
      // Stands in for Bolt (or whatever baseUrl points at), and redirects to the sink.
      const bolt = await startSinkServer(() => ({
        status: 307,
        headers: { location: `${sink.url}/stolen` },
      }))
      const error = await rejection(send(scene.tokens, bolt.url))
      expect(error).toMatchObject({ code: 'INVALID_RESPONSE', status: 307 })
      expect(error.message).toContain('POST /v1/account/addresses')
      expect(error.message).not.toContain(sink.url)
      expect(sink.requests).toEqual([])
      expect(bolt.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        'POST /v1/account/addresses',
      ])
      expect((await scene.tokens.getStatus(SESSION)).state).toBe('fullyScoped')
    },
  )

  it.each(clients)(
    '%s: a 302 to the same host, outside the API root → INVALID_RESPONSE, not followed',
    async (_name, send) => {
      const scene = await accountScene()
      const bolt = await startSinkServer((request) =>
        request.url.startsWith('/api/')
          ? { status: 302, headers: { location: '/elsewhere?next=1' } }
          : { status: 200, body: '{}' },
      )
      const error = await rejection(send(scene.tokens, `${bolt.url}/api`))
      expect(error).toMatchObject({ code: 'INVALID_RESPONSE', status: 302 })
      expect(error.message).not.toContain('next=1')
      expect(bolt.requests.map((request) => request.url)).toEqual(['/api/v1/account/addresses'])
    },
  )
})
