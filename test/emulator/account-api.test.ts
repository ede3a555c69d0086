import { beforeEach, describe, expect, it } from 'vitest'
import { type BoltEmulator, SAMPLE_ADDRESS, sha256Email } from '../../src/emulator/index.js'
import { startEmulator } from '../support/harness.js'
import {
  addAddress,
  callAccount,
  exchangeCode,
  getAccount,
  refresh,
  signIn,
  T0,
} from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startEmulator({ now: T0 })
})

const INVALID_TOKEN = 'Bearer error="invalid_token"'
const boltError = (code: number, message: string) => ({
  result: { success: false },
  errors: [{ code, message }],
})

/** The address of SAMPLE_ADDRESS as Bolt reads it back. */
const SAMPLE_READ_BACK = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Market St',
  locality: 'San Francisco',
  region: 'CA',
  postal_code: '94105',
  country_code: 'US',
  email_address: 'shopper@example.com',
  phone_number: '+14155550199',
  default: false,
}

const CARD = {
  token: 'tok_emulator_card',
  expiration: '2030-11',
  last4: '1111',
  bin: '411111',
  network: 'visa',
  token_type: 'bolt',
  billing_address: SAMPLE_ADDRESS,
}

describe('Account API: GET /v1/account', () => {
  it("answers Bolt's account_details: profile, addresses, payment_methods, has_bolt_account", async () => {
    const tokens = await signIn(bolt)
    const answer = await getAccount(bolt, tokens.access_token)
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      profile: {
        first_name: 'Alan',
        last_name: 'Watts',
        name: 'Alan Watts',
        email: 'shopper@example.com',
        phone: '+14155550199',
      },
      addresses: [],
      payment_methods: [],
      has_bolt_account: true,
    })
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 0 })
  })

  it('needs the merchant API key as well as the token (403), and a right X-Publishable-Key when sent', async () => {
    const tokens = await signIn(bolt)
    const withoutKey = await callAccount(bolt, 'GET', '/v1/account', {
      token: tokens.access_token,
      headers: { 'x-api-key': '' },
    })
    expect(withoutKey.status).toBe(403)
    expect(withoutKey.json).toEqual(
      boltError(1005, 'The X-API-Key header is missing or is not the merchant API key'),
    )
    const wrongPublishable = await callAccount(bolt, 'GET', '/v1/account', {
      token: tokens.access_token,
      headers: { 'x-publishable-key': 'pk_other' },
    })
    expect(wrongPublishable.status).toBe(403)
    const rightPublishable = await callAccount(bolt, 'GET', '/v1/account', {
      token: tokens.access_token,
      headers: { 'x-publishable-key': bolt.clientId },
    })
    expect(rightPublishable.status).toBe(200)
    expect(bolt.stats.accountReads).toBe(1)
  })

  it('answers 401 to a missing, unknown or expired token, with Bolt’s error body', async () => {
    const missing = await getAccount(bolt)
    expect(missing.status).toBe(401)
    expect(missing.json).toEqual(boltError(401, 'A Bearer access token is required'))
    expect(missing.headers.get('www-authenticate')).toBe(INVALID_TOKEN)

    expect((await getAccount(bolt, 'at_not_issued')).status).toBe(401)

    const tokens = await signIn(bolt)
    bolt.advanceClock(3_599_000)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(200)
    bolt.advanceClock(1_000)
    const expired = await getAccount(bolt, tokens.access_token)
    expect(expired.status).toBe(401)
    expect(expired.json).toEqual(boltError(401, 'The access token is invalid, expired or revoked'))
    expect((await addAddress(bolt, tokens.access_token)).status).toBe(401)
  })

  it('refuses an openid-only token (403)', async () => {
    const tokens = await signIn(bolt, 'openid')
    const answer = await getAccount(bolt, tokens.access_token)
    expect(answer.status).toBe(403)
    expect(answer.json).toEqual(
      boltError(1003, 'This action needs a token with bolt.account.view or bolt.account.manage'),
    )
  })
})

describe('Account API: writes', () => {
  it('a view-only token reads but cannot write: 403 with Bolt’s body and no scope error string', async () => {
    const tokens = await signIn(bolt)
    const viewOnly = (await refresh(bolt, tokens.refresh_token)).json.access_token as string
    expect((await getAccount(bolt, viewOnly)).status).toBe(200)

    const write = await addAddress(bolt, viewOnly)

    expect(write.status).toBe(403)
    expect(write.json).toEqual(
      boltError(
        1003,
        'This action needs a token with bolt.account.manage; the shopper must log in again',
      ),
    )
    expect(write.headers.get('www-authenticate')).toBeNull()
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 0 })
  })

  it('POST /v1/account/addresses: saved with an id, email and phone read back as email_address and phone_number', async () => {
    const tokens = await signIn(bolt)
    const added = await addAddress(bolt, tokens.access_token, {
      ...SAMPLE_ADDRESS,
      default: true,
      metadata: { customer_id: '234' },
      ignored: { nested: 1 },
    })
    expect(added.status).toBe(200)
    expect(added.json).toEqual({
      ...SAMPLE_READ_BACK,
      id: expect.stringMatching(/^addr_[0-9a-f]{16}$/),
      default: true,
      metadata: { customer_id: '234' },
    })
    const account = await getAccount(bolt, tokens.access_token)
    expect(account.json.addresses).toEqual([added.json])
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 1 })
  })

  it("refuses an address without the v1 spec's required fields (422) or a body that is not JSON (400)", async () => {
    const tokens = await signIn(bolt)
    const missing = await addAddress(bolt, tokens.access_token, {
      locality: 'Paris',
      country_code: 'US',
    })
    expect(missing.status).toBe(422)
    expect(missing.json).toEqual(
      boltError(
        2001005,
        'Missing address fields: street_address1, postal_code, email, first_name, last_name, region',
      ),
    )
    const wrongType = await addAddress(bolt, tokens.access_token, { ...SAMPLE_ADDRESS, default: 1 })
    expect(wrongType.json).toEqual(boltError(2001005, 'default must be a boolean'))
    const response = await fetch(`${bolt.url}/v1/account/addresses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'x-api-key': bolt.clientSecret },
      body: 'not json',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual(boltError(4005, 'The body must be a JSON object'))
    expect(bolt.stats.accountWrites).toBe(0)
  })

  it('PUT edits an address in place (same id); POST /addresses/{id} replaces it (new id); DELETE removes it', async () => {
    const { access_token: token } = await signIn(bolt)
    const first = (await addAddress(bolt, token)).json
    const second = (await addAddress(bolt, token, { ...SAMPLE_ADDRESS, locality: 'Oakland' })).json

    const edited = await callAccount(bolt, 'PUT', `/v1/account/addresses/${first.id}`, {
      token,
      body: { ...SAMPLE_ADDRESS, street_address1: '2 Market St' },
    })
    expect(edited.status).toBe(200)
    expect(edited.json).toEqual({
      ...SAMPLE_READ_BACK,
      id: first.id,
      street_address1: '2 Market St',
    })

    const replaced = await callAccount(bolt, 'POST', `/v1/account/addresses/${second.id}`, {
      token,
      body: { ...SAMPLE_ADDRESS, locality: 'Berkeley' },
    })
    expect(replaced.status).toBe(200)
    expect(replaced.json.id).not.toBe(second.id)
    expect(replaced.json.locality).toBe('Berkeley')
    const ids = async () =>
      ((await getAccount(bolt, token)).json.addresses as { id: string }[]).map((a) => a.id)
    expect(await ids()).toEqual([first.id, replaced.json.id])

    const deleted = await callAccount(bolt, 'DELETE', `/v1/account/addresses/${first.id}`, {
      token,
    })
    expect(deleted.status).toBe(200)
    expect(deleted.text).toBe('')
    expect(await ids()).toEqual([replaced.json.id])
    const again = await callAccount(bolt, 'DELETE', `/v1/account/addresses/${first.id}`, { token })
    expect(again.status).toBe(404)
    expect(again.json).toEqual(boltError(404, 'No address with this id'))
    expect(bolt.stats.accountWrites).toBe(5)
  })

  it('PATCH /v1/account/profile sets first_name, last_name and metadata, answering the profile', async () => {
    const { access_token: token } = await signIn(bolt)
    const answer = await callAccount(bolt, 'PATCH', '/v1/account/profile', {
      token,
      body: { first_name: 'Ada', metadata: { tier: 'gold' }, email: 'ignored@example.com' },
    })
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      first_name: 'Ada',
      last_name: 'Watts',
      name: 'Ada Watts',
      email: 'shopper@example.com',
      phone: '+14155550199',
      metadata: { tier: 'gold' },
    })
    expect(bolt.shopper()?.firstName).toBe('Ada')
  })

  it('payment methods: a tokenized card is saved as its card view; DELETE answers 200, 403 and 404', async () => {
    const { access_token: token } = await signIn(bolt)
    const added = await callAccount(bolt, 'POST', '/v1/account/payment_methods', {
      token,
      body: { ...CARD, priority: 1, metadata: { source: 'checkout' } },
    })
    expect(added.status).toBe(200)
    const { id: _id, default: _default, ...billing } = SAMPLE_READ_BACK as Record<string, unknown>
    expect(added.json).toEqual({
      id: expect.stringMatching(/^pm_[0-9a-f]{16}$/),
      type: 'card',
      last4: '1111',
      exp_month: 11,
      exp_year: 2030,
      network: 'visa',
      billing_address: { ...billing, id: expect.stringMatching(/^addr_/) },
      default: true,
      metadata: { source: 'checkout' },
    })
    expect((await getAccount(bolt, token)).json.payment_methods).toEqual([added.json])

    const other = await exchangeCode(bolt, bolt.login({ email: 'other@example.com' }).code)
    const forbidden = await callAccount(
      bolt,
      'DELETE',
      `/v1/account/payment_methods/${added.json.id}`,
      { token: other.json.access_token as string },
    )
    expect(forbidden.status).toBe(403)
    expect(forbidden.json).toEqual(
      boltError(403, "This payment method is not in the shopper's wallet"),
    )
    const removed = await callAccount(
      bolt,
      'DELETE',
      `/v1/account/payment_methods/${added.json.id}`,
      {
        token,
      },
    )
    expect([removed.status, removed.text]).toEqual([200, ''])
    const unknown = await callAccount(bolt, 'DELETE', '/v1/account/payment_methods/pm_nothing', {
      token,
    })
    expect(unknown.status).toBe(404)

    const badCard = await callAccount(bolt, 'POST', '/v1/account/payment_methods', {
      token,
      body: { ...CARD, expiration: '11/30' },
    })
    expect(badCard.status).toBe(422)
    expect(badCard.json).toEqual(boltError(2001005, 'expiration must be a YYYY-MM date'))
  })

  it('Idempotency-Key: the same key on the same route replays the first answer and writes once', async () => {
    const { access_token: token } = await signIn(bolt)
    const headers = { 'idempotency-key': 'idem-1' }
    const first = await callAccount(bolt, 'POST', '/v1/account/addresses', {
      token,
      body: SAMPLE_ADDRESS,
      headers,
    })
    const replay = await callAccount(bolt, 'POST', '/v1/account/addresses', {
      token,
      body: { ...SAMPLE_ADDRESS, locality: 'Oakland' },
      headers,
    })
    expect(replay.status).toBe(200)
    expect(replay.text).toBe(first.text)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect((await getAccount(bolt, token)).json.addresses).toHaveLength(1)

    const otherRoute = await callAccount(bolt, 'POST', '/v1/account/payment_methods', {
      token,
      body: CARD,
      headers,
    })
    expect(otherRoute.status).toBe(200)
    expect(otherRoute.headers.get('idempotent-replayed')).toBeNull()
    expect(bolt.stats).toMatchObject({ accountWrites: 2, idempotentReplays: 1 })

    const refused = await callAccount(bolt, 'POST', '/v1/account/addresses', {
      token,
      body: { locality: 'Paris' },
      headers: { 'idempotency-key': 'idem-2' },
    })
    expect(refused.status).toBe(422)
    const retried = await callAccount(bolt, 'POST', '/v1/account/addresses', {
      token,
      body: SAMPLE_ADDRESS,
      headers: { 'idempotency-key': 'idem-2' },
    })
    expect(retried.status).toBe(200)
    expect(bolt.stats).toMatchObject({ accountWrites: 3, idempotentReplays: 1 })
  })
})

describe('Account API: GET /v1/account/exists', () => {
  const exists = (query: string, headers: Record<string, string>) =>
    fetch(`${bolt.url}/v1/account/exists${query}`, { headers })

  it('needs no token but the publishable key; answers has_bolt_account by email, sha256_email or phone', async () => {
    bolt.login({ email: 'Ada@Example.com', phone: '+12125550100' })
    const key = { 'x-publishable-key': bolt.clientId }
    const answers = await Promise.all(
      [
        '?email=ada%40example.com',
        `?sha256_email=${sha256Email('ada@example.com')}`,
        '?phone=%2B12125550100',
        '?email=nobody%40example.com',
      ].map(async (query) => {
        const response = await exists(query, key)
        return [response.status, await response.json()]
      }),
    )
    expect(answers).toEqual([
      [200, { has_bolt_account: true }],
      [200, { has_bolt_account: true }],
      [200, { has_bolt_account: true }],
      [200, { has_bolt_account: false }],
    ])
  })

  it('answers 422 without a parameter and 403 without the publishable key', async () => {
    const noParameter = await exists('', { 'x-publishable-key': bolt.clientId })
    expect(noParameter.status).toBe(422)
    expect(await noParameter.json()).toEqual(
      boltError(2001005, 'One of email, sha256_email or phone is required'),
    )
    const noKey = await exists('?email=a%40b.c', {})
    expect(noKey.status).toBe(403)
    expect((await noKey.json()).errors[0].code).toBe(1005)
  })
})

describe('Account API: routing', () => {
  it('answers 405 with Allow to a known path, 404 to an unknown one, both with Bolt’s body', async () => {
    const wrongMethod = await fetch(`${bolt.url}/v1/account`, { method: 'DELETE' })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    const addressMethods = await fetch(`${bolt.url}/v1/account/addresses/addr_1`)
    expect(addressMethods.headers.get('allow')).toBe('PUT, POST, DELETE')
    const unknown = await fetch(`${bolt.url}/v1/account/wallets`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual(boltError(404, 'No route for GET /v1/account/wallets'))
  })
})
