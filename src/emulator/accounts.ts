import { randomId } from './random-id.js'

/** A saved shipping address; `id` is assigned by the emulator. */
export interface Address {
  id: string
  [field: string]: string | boolean
}

/** A shopper's Bolt account, as the emulator keeps it. */
export interface Account {
  /** `acct_…`; the `sub` of the ID token. */
  id: string
  email: string
  addresses: Address[]
}

/** The emulator's shopper accounts. */
export interface AccountStore {
  /** The account with this email, created on first use. */
  ensure(email: string): Account
  /** The account with this id. */
  get(id: string): Account | undefined
}

/** Creates an empty {@link AccountStore}. */
export function createAccountStore(): AccountStore {
  const byId = new Map<string, Account>()
  const byEmail = new Map<string, Account>()
  return {
    ensure(email) {
      const key = email.toLowerCase()
      const existing = byEmail.get(key)
      if (existing !== undefined) return existing
      const account: Account = { id: randomId('acct_'), email, addresses: [] }
      byId.set(account.id, account)
      byEmail.set(key, account)
      return account
    },
    get: (id) => byId.get(id),
  }
}
