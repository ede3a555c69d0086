import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { type Customers, linkCustomer } from '../../examples/link-customer.js'
import { managerFor, startEmulator } from '../support/harness.js'

/** An in-memory customer table that records what was created. */
function customerTable(existing: Record<string, string> = {}) {
  const byEmail = new Map(Object.entries(existing))
  const created: { email: string; firstName?: string; lastName?: string }[] = []
  const customers: Customers = {
    findByEmail: async (email) => {
      const id = byEmail.get(email)
      return id === undefined ? undefined : { id }
    },
    create: async (customer) => {
      created.push(customer)
      const id = `cus_${created.length}`
      byEmail.set(customer.email, id)
      return { id }
    },
  }
  return { customers, created }
}

describe('linking a Bolt shopper to your customer record (examples/link-customer.ts)', () => {
  it('a verified email finds the existing customer, whatever its case', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await tokens.exchangeCode('s1', { code: bolt.login({ email: 'Ada@Example.com' }).code })
    const { customers, created } = customerTable({ 'ada@example.com': 'cus_ada' })

    expect(await linkCustomer(tokens, 's1', customers)).toEqual({
      linked: 'existing',
      customerId: 'cus_ada',
    })
    expect(created).toEqual([])
  })

  it('a verified email with no customer yet creates one, with the name Bolt verified', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    const login = bolt.login({ email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' })
    await tokens.exchangeCode('s1', { code: login.code })
    const { customers, created } = customerTable()

    expect(await linkCustomer(tokens, 's1', customers)).toEqual({
      linked: 'created',
      customerId: 'cus_1',
    })
    expect(created).toEqual([
      { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
    ])
  })

  it('an unverified email links nothing, even to a customer with that email', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    const login = bolt.login({ email: 'ada@example.com', emailVerified: false })
    await tokens.exchangeCode('s1', { code: login.code })
    const { customers, created } = customerTable({ 'ada@example.com': 'cus_ada' })

    expect(await linkCustomer(tokens, 's1', customers)).toEqual({
      linked: false,
      why: 'email not verified',
    })
    expect(created).toEqual([])
  })

  it('a login without openid (no ID token) links nothing', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await tokens.exchangeCode('s1', { code: bolt.login().code, scope: 'bolt.account.manage' })

    expect(await linkCustomer(tokens, 's1', customerTable().customers)).toEqual({
      linked: false,
      why: 'no identity',
    })
  })

  it('an ID token that fails verification (issued by a key Bolt no longer publishes) links nothing', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, createFetchTransport())
    await tokens.exchangeCode('s1', { code: bolt.login().code })
    // The token was signed by the key Bolt published then; Bolt now publishes another.
    await bolt.rotateSigningKey()

    expect(await linkCustomer(tokens, 's1', customerTable().customers)).toEqual({
      linked: false,
      why: 'identity refused',
    })
  })
})
