/**
 * `createAccountApi`'s typed methods against the real emulator: every documented session
 * route, with and without manage; Bolt's refusals as BoltAccountError with Bolt's own codes;
 * Idempotency-Key replays; what Bolt saw.
 */
import { describe, expect, it, vi } from 'vitest'
import { createAccountApi } from '../../src/account/account-api.js'
import { isBoltAccountError } from '../../src/account/account-error.js'
import type { AddressInput, CardInput } from '../../src/account/types.js'
import { SAMPLE_ADDRESS } from '../../src/emulator/index.js'
import { PAST_EXPIRY_MS } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import { startSinkServer } from '../support/sink-server.js'
import { accountScene, expectNoSecrets, SESSION } from './account-scene.js'

const ADDRESS: AddressInput = { ...SAMPLE_ADDRESS }
const OTHER_ADDRESS: AddressInput = { ...SAMPLE_ADDRESS, street_address1: '2 Mission St' }
const CARD: CardInput = {
  token: 'tok_from_bolt_tokenizer',
  token_type: 'bolt',
  expiration: '2031-11',
  last4: '1111',
  bin: '411111',
  network: 'visa',
  billing_address: ADDRESS,
}

describe('createAccountApi: a fully scoped session', () => {
  it('uses every route: read, profile, add, edit (same id), replace (new id), delete, cards', async () => {
    const { bolt, tokens } = await accountScene()
    const account = createAccountApi(tokens, SESSION)

    const before = await account.getDetails()
    expect(before).toMatchObject({
      profile: { email: 'shopper@example.com' },
      addresses: [],
      payment_methods: [],
      has_bolt_account: true,
    })

    const profile = await account.updateProfile({ first_name: 'Ada', metadata: { tier: 'gold' } })
    expect(profile).toMatchObject({ first_name: 'Ada', metadata: { tier: 'gold' } })

    const added = await account.addAddress(ADDRESS)
    expect(added).toMatchObject({
      id: expect.any(String),
      street_address1: ADDRESS.street_address1,
      email_address: ADDRESS.email,
    })
    const edited = await account.editAddress(added.id, OTHER_ADDRESS)
    expect(edited).toMatchObject({ id: added.id, street_address1: '2 Mission St' })
    const replaced = await account.replaceAddress(added.id, ADDRESS)
    expect(replaced.id).not.toBe(added.id)
    expect((await account.getDetails()).addresses?.map((address) => address.id)).toEqual([
      replaced.id,
    ])
    expect(await account.deleteAddress(replaced.id)).toBeUndefined()

    const card = await account.addPaymentMethod(CARD)
    expect(card).toMatchObject({
      id: expect.any(String),
      type: 'card',
      last4: '1111',
      exp_month: 11,
      exp_year: 2031,
      network: 'visa',
    })
    expect(await account.deletePaymentMethod(card.id)).toBeUndefined()

    const after = await account.getDetails()
    expect(after).toMatchObject({
      profile: { first_name: 'Ada' },
      addresses: [],
      payment_methods: [],
    })
    // Every call was answered by Bolt, which refuses any that lacks the token or the API key.
    expect(bolt.stats).toMatchObject({ accountReads: 3, accountWrites: 7, tokenRequests: 0 })
  })

  it('the same idempotencyKey twice → one address, Bolt’s first answer given back', async () => {
    const { bolt, tokens } = await accountScene()
    const account = createAccountApi(tokens, SESSION)
    const first = await account.addAddress(ADDRESS, { idempotencyKey: 'add-home-1' })
    const again = await account.addAddress(ADDRESS, { idempotencyKey: 'add-home-1' })
    expect(again).toEqual(first)
    expect((await account.getDetails()).addresses).toHaveLength(1)
    expect(bolt.stats).toMatchObject({ accountWrites: 1, idempotentReplays: 1 })
  })

  it('sends idempotencyKey as Idempotency-Key, with the token and both keys', async () => {
    const { bolt, tokens } = await accountScene()
    const sink = await startSinkServer(() => ({ status: 200, body: '{"id":"addr_1"}' }))
    const account = createAccountApi(tokens, SESSION, { baseUrl: sink.url })
    await account.addAddress(ADDRESS, { idempotencyKey: 'key-1' })
    await account.deleteAddress('addr_1')
    expect(sink.requests.map((request) => [request.method, request.url])).toEqual([
      ['POST', '/v1/account/addresses'],
      ['DELETE', '/v1/account/addresses/addr_1'],
    ])
    expect(sink.requests[0]?.headers).toMatchObject({
      authorization: `Bearer ${await tokens.getAccessToken(SESSION)}`,
      'x-api-key': bolt.clientSecret,
      'x-publishable-key': bolt.clientId,
      'idempotency-key': 'key-1',
      'content-type': 'application/json',
    })
    expect(JSON.parse(sink.requests[0]?.body ?? '')).toEqual(ADDRESS)
    expect(sink.requests[1]?.headers['idempotency-key']).toBeUndefined()
  })
})

describe('createAccountApi: view-only after an hour', () => {
  it('reads succeed; every write is SCOPE_REQUIRED before Bolt is called', async () => {
    const { bolt, tokens } = await accountScene()
    bolt.advanceClock(PAST_EXPIRY_MS)
    const account = createAccountApi(tokens, SESSION)
    expect((await account.getDetails()).profile?.email).toBe('shopper@example.com')
    expect((await tokens.getStatus(SESSION)).state).toBe('viewOnly')
    const writes: [string, () => Promise<unknown>][] = [
      ['updateProfile', () => account.updateProfile({ first_name: 'Ada' })],
      ['addAddress', () => account.addAddress(ADDRESS)],
      ['editAddress', () => account.editAddress('addr_x', ADDRESS)],
      ['replaceAddress', () => account.replaceAddress('addr_x', ADDRESS)],
      ['deleteAddress', () => account.deleteAddress('addr_x')],
      ['addPaymentMethod', () => account.addPaymentMethod(CARD)],
      ['deletePaymentMethod', () => account.deletePaymentMethod('pm_x')],
    ]
    for (const [name, write] of writes) {
      expect((await rejection(write())).code, name).toBe('SCOPE_REQUIRED')
    }
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 0, refreshes: 1 })
  })
})

describe('createAccountApi: Bolt’s refusals', () => {
  it('an unknown address id → ACCOUNT_API_ERROR with status 404 and Bolt’s errors[]', async () => {
    const { tokens } = await accountScene()
    const error = await rejection(
      createAccountApi(tokens, SESSION).editAddress('addr_nope', ADDRESS),
    )
    expect(isBoltAccountError(error)).toBe(true)
    expect(error).toMatchObject({
      name: 'BoltTokenError',
      code: 'ACCOUNT_API_ERROR',
      status: 404,
      errors: [{ code: expect.any(Number), message: expect.any(String) }],
    })
    expect(error.message).toContain('PUT /v1/account/addresses/addr_nope')
  })

  it('an incomplete address → 422 with Bolt’s code 2001005 (the v1 spec’s missing-parameter code)', async () => {
    const { bolt, tokens } = await accountScene()
    const incomplete = { street_address1: '1 Market St' } as AddressInput
    const error = await rejection(createAccountApi(tokens, SESSION).addAddress(incomplete))
    expect(error).toMatchObject({ code: 'ACCOUNT_API_ERROR', status: 422 })
    expect(isBoltAccountError(error) && error.errors[0]?.code).toBe(2001005)
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      code: 'ACCOUNT_API_ERROR',
      status: 422,
      errors: [{ code: 2001005 }],
    })
    expect(bolt.stats.accountWrites).toBe(0)
  })

  it('Bolt’s echo of the API key or a token in its error message is redacted', async () => {
    const scene = await accountScene()
    const token = await scene.tokens.getAccessToken(SESSION)
    const echo = `key ${scene.bolt.clientSecret} token ${token}`
    const sink = await startSinkServer(() => ({
      status: 400,
      body: JSON.stringify({ result: { success: false }, errors: [{ code: 1, message: echo }] }),
    }))
    const error = await rejection(
      createAccountApi(scene.tokens, SESSION, { baseUrl: sink.url }).getDetails(),
    )
    expect(error).toMatchObject({ code: 'ACCOUNT_API_ERROR', status: 400 })
    expectNoSecrets([error, JSON.stringify(error), error.message], await scene.rememberSecrets())
  })

  it('a 2xx that is not a JSON object → INVALID_RESPONSE', async () => {
    const { tokens } = await accountScene()
    const sink = await startSinkServer(() => ({ status: 200, body: '<html>' }))
    const error = await rejection(
      createAccountApi(tokens, SESSION, { baseUrl: sink.url }).getDetails(),
    )
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 })
  })

  it('ids that are not one path segment are INVALID_ARGUMENT before any token is read', async () => {
    const { bolt, tokens } = await accountScene()
    const account = createAccountApi(tokens, SESSION)
    const read = vi.spyOn(tokens, 'getAccessToken')
    for (const id of ['', '.', '..']) {
      expect((await rejection(account.deleteAddress(id))).code, id).toBe('INVALID_ARGUMENT')
    }
    expect((await rejection(account.addAddress(null as unknown as AddressInput))).code).toBe(
      'INVALID_ARGUMENT',
    )
    expect(read).not.toHaveBeenCalled()
    // Anything else is one encoded segment: '../x' stays under /v1/account/addresses/.
    const sink = await startSinkServer(() => ({ status: 200, body: '' }))
    await createAccountApi(tokens, SESSION, { baseUrl: sink.url }).deleteAddress('../x')
    expect(sink.requests.map((request) => request.url)).toEqual(['/v1/account/addresses/..%2Fx'])
    expect(bolt.stats.accountWrites).toBe(0)
  })

  it('no answer in time (AbortSignal.timeout) → TIMEOUT', async () => {
    const { tokens } = await accountScene()
    const sink = await startSinkServer(() => 'hang')
    const error = await rejection(
      createAccountApi(tokens, SESSION, { baseUrl: sink.url }).getDetails({
        signal: AbortSignal.timeout(100),
      }),
    )
    expect(error.code).toBe('TIMEOUT')
  })
})
