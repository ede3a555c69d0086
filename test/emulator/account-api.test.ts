import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type BoltEmulator, startBoltEmulator } from '../../src/emulator/index.js'
import { addAddress, getAccount, refresh, signIn, T0 } from './helpers.js'

let bolt: BoltEmulator
beforeEach(async () => {
  bolt = await startBoltEmulator({ now: T0 })
})
afterEach(() => bolt.close())

const INVALID_TOKEN = 'Bearer error="invalid_token"'

describe('Account API', () => {
  it('reads the account with a manage token and adds an address', async () => {
    const tokens = await signIn(bolt)

    const empty = await getAccount(bolt, tokens.access_token)
    expect(empty.status).toBe(200)
    expect(empty.json).toEqual({ email: 'shopper@example.com', addresses: [] })

    const added = await addAddress(bolt, tokens.access_token, {
      street_address1: '535 Mission St',
      locality: 'San Francisco',
      postal_code: '94105',
      country_code: 'US',
      is_default: true,
      ignored: { nested: 1 },
    })
    expect(added.status).toBe(200)
    expect(added.json).toEqual({
      id: expect.stringMatching(/^addr_[0-9a-f]{16}$/),
      street_address1: '535 Mission St',
      locality: 'San Francisco',
      postal_code: '94105',
      country_code: 'US',
      is_default: true,
    })

    const after = await getAccount(bolt, tokens.access_token)
    expect(after.json.addresses).toEqual([added.json])
    expect(bolt.stats).toMatchObject({ accountReads: 2, accountWrites: 1 })
  })

  it('lets a view-only token read but not write (403 insufficient_scope)', async () => {
    const tokens = await signIn(bolt)
    const viewOnly = (await refresh(bolt, tokens.refresh_token)).json.access_token as string

    expect((await getAccount(bolt, viewOnly)).status).toBe(200)
    const write = await addAddress(bolt, viewOnly)

    expect(write.status).toBe(403)
    expect(write.json).toEqual({
      error: 'insufficient_scope',
      error_description:
        'This action requires bolt.account.manage; ask the shopper to log in again',
    })
    expect(write.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="bolt.account.manage"',
    )
    expect(bolt.stats).toMatchObject({ accountReads: 1, accountWrites: 0 })
  })

  it('forbids reading with an openid-only token', async () => {
    const tokens = await signIn(bolt, 'openid')
    const answer = await getAccount(bolt, tokens.access_token)
    expect(answer.status).toBe(403)
    expect(answer.json.error).toBe('insufficient_scope')
  })

  it('answers 401 invalid_token once the access token expires by the emulator clock', async () => {
    const tokens = await signIn(bolt)
    bolt.advanceClock(3_599_000)
    expect((await getAccount(bolt, tokens.access_token)).status).toBe(200)
    bolt.advanceClock(1_000)

    const answer = await getAccount(bolt, tokens.access_token)

    expect(answer.status).toBe(401)
    expect(answer.json).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is invalid, expired or revoked',
    })
    expect(answer.headers.get('www-authenticate')).toBe(INVALID_TOKEN)
    expect((await addAddress(bolt, tokens.access_token)).status).toBe(401)
  })

  it('answers 401 to a missing or unknown token', async () => {
    const missing = await getAccount(bolt)
    expect(missing.status).toBe(401)
    expect(missing.json).toEqual({
      error: 'invalid_token',
      error_description: 'A Bearer access token is required',
    })
    expect(missing.headers.get('www-authenticate')).toBe(INVALID_TOKEN)

    const unknown = await getAccount(bolt, 'at_not_issued')
    expect(unknown.status).toBe(401)
    expect(unknown.headers.get('www-authenticate')).toBe(INVALID_TOKEN)
    expect(bolt.stats.accountReads).toBe(0)
  })

  it('rejects an address body that is not an address', async () => {
    const tokens = await signIn(bolt)
    const missing = await addAddress(bolt, tokens.access_token, { locality: 'Paris' })
    expect(missing.status).toBe(400)
    expect(missing.json).toEqual({
      error: 'invalid_request',
      error_description: 'Missing address fields: street_address1, postal_code, country_code',
    })
    const response = await fetch(`${bolt.url}/v1/account/addresses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
      body: 'not json',
    })
    expect(response.status).toBe(400)
    expect(bolt.stats.accountWrites).toBe(0)
  })

  it('answers 405 and 404 under /v1/account', async () => {
    const wrongMethod = await fetch(`${bolt.url}/v1/account`, { method: 'DELETE' })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    const unknown = await fetch(`${bolt.url}/v1/account/payment_methods`)
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error).toBe('not_found')
  })
})
