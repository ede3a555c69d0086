/**
 * `accountExists`: Bolt's `GET /v1/account/exists?email=`, which needs no shopper session:
 * only the publishable key is sent, never the API key nor a bearer token.
 */
import { describe, expect, it } from 'vitest'
import { accountExists } from '../../src/account/account-exists.js'
import { rejection } from '../support/rejection.js'
import { startSinkServer } from '../support/sink-server.js'
import { accountScene } from './account-scene.js'

describe('accountExists', () => {
  it('sends only X-Publishable-Key: no API key, no Authorization', async () => {
    const { bolt, tokens } = await accountScene()
    const sink = await startSinkServer(() => ({ status: 200, body: '{"has_bolt_account":true}' }))
    expect(await accountExists('a+b@example.com', { tokens, baseUrl: sink.url })).toBe(true)
    const [request] = sink.requests
    expect(request?.method).toBe('GET')
    expect(request?.url).toBe('/v1/account/exists?email=a%2Bb%40example.com')
    expect(request?.headers['x-publishable-key']).toBe(bolt.clientId)
    expect(request?.headers['x-api-key']).toBeUndefined()
    expect(request?.headers.authorization).toBeUndefined()
    expect(JSON.stringify(request?.headers)).not.toContain(bolt.clientSecret)
  })

  it('against the emulator: the logged-in shopper’s email exists, another does not', async () => {
    const { bolt, tokens } = await accountScene()
    expect(await accountExists('shopper@example.com', { tokens })).toBe(true)
    expect(await accountExists('nobody@example.com', { tokens })).toBe(false)
    // Without a manager: the publishable key and the base URL, given.
    const given = { publishableKey: bolt.clientId, baseUrl: bolt.url }
    expect(await accountExists('shopper@example.com', given)).toBe(true)
  })

  it('a wrong publishable key → ACCOUNT_API_ERROR with Bolt’s status', async () => {
    const { bolt } = await accountScene()
    const error = await rejection(
      accountExists('shopper@example.com', { publishableKey: 'pk_wrong', baseUrl: bolt.url }),
    )
    expect(error).toMatchObject({ code: 'ACCOUNT_API_ERROR', status: 403 })
    expect(error.message).not.toContain('shopper@example.com')
  })

  it('no email, or neither a manager nor a publishable key and base URL → INVALID_ARGUMENT', async () => {
    const { tokens } = await accountScene()
    expect((await rejection(accountExists('', { tokens }))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(accountExists('a@example.com'))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(accountExists('a@example.com', { publishableKey: 'pk' }))).code).toBe(
      'INVALID_ARGUMENT',
    )
  })

  it('an answer without a boolean has_bolt_account → INVALID_RESPONSE', async () => {
    const sink = await startSinkServer(() => ({ status: 200, body: '{}' }))
    const error = await rejection(
      accountExists('a@example.com', { publishableKey: 'pk', baseUrl: sink.url }),
    )
    expect(error.code).toBe('INVALID_RESPONSE')
  })
})
