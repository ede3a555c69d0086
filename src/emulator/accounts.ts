import { sha256Email } from './account-exists.js'
import { randomId } from './random-id.js'
import type { ShopperAccount, ShopperMetadata, ShopperProfile } from './types.js'

/** A shopper's Bolt account, as the emulator keeps it (mutable; routes change it in place). */
export interface Account extends ShopperAccount {
  metadata: ShopperMetadata | undefined
}

/** The emulator's shopper accounts. */
export interface AccountStore {
  /**
   * The account with `profile.email`, created on first use; the profile fields given are
   * applied to it (the rest keep their values, or the defaults on creation).
   */
  ensure(profile: ShopperProfile): Account
  /** The account with this id. */
  get(id: string): Account | undefined
  /** The account with this email (case-insensitive). */
  findByEmail(email: string): Account | undefined
  /** The account whose `sha256_email` (hex SHA-256 of the lower-cased email) is this. */
  findBySha256Email(hash: string): Account | undefined
  /** The account with this phone number. */
  findByPhone(phone: string): Account | undefined
  /** The account holding the payment method with this id. */
  ownerOfPaymentMethod(id: string): Account | undefined
}

/** The profile a shopper gets when a login names nothing but (maybe) an email. */
export const DEFAULT_SHOPPER = {
  email: 'shopper@example.com',
  emailVerified: true,
  firstName: 'Alan',
  lastName: 'Watts',
  phone: '+14155550199',
  phoneVerified: true,
} as const satisfies Required<ShopperProfile>

/** Creates an empty {@link AccountStore}. */
export function createAccountStore(): AccountStore {
  const byId = new Map<string, Account>()
  const byEmail = new Map<string, Account>()
  return {
    ensure(profile) {
      const email = profile.email ?? DEFAULT_SHOPPER.email
      const key = email.toLowerCase()
      let account = byEmail.get(key)
      if (account === undefined) {
        account = {
          ...DEFAULT_SHOPPER,
          id: randomId('acct_'),
          email,
          metadata: undefined,
          addresses: [],
          paymentMethods: [],
        }
        byId.set(account.id, account)
        byEmail.set(key, account)
      }
      for (const field of PROFILE_FIELDS) {
        const value = profile[field]
        if (value !== undefined) Object.assign(account, { [field]: value })
      }
      return account
    },
    get: (id) => byId.get(id),
    findByEmail: (email) => byEmail.get(email.toLowerCase()),
    findBySha256Email: (hash) =>
      [...byId.values()].find((account) => sha256Email(account.email) === hash),
    findByPhone: (phone) => [...byId.values()].find((account) => account.phone === phone),
    ownerOfPaymentMethod: (id) =>
      [...byId.values()].find((account) => account.paymentMethods.some((card) => card.id === id)),
  }
}

const PROFILE_FIELDS = [
  'emailVerified',
  'firstName',
  'lastName',
  'phone',
  'phoneVerified',
] as const satisfies readonly (keyof ShopperProfile)[]

/** A deep copy of `account` for tests, safe to keep and compare. */
export function snapshotAccount(account: Account): ShopperAccount {
  return {
    id: account.id,
    email: account.email,
    emailVerified: account.emailVerified,
    firstName: account.firstName,
    lastName: account.lastName,
    phone: account.phone,
    phoneVerified: account.phoneVerified,
    addresses: structuredClone(account.addresses),
    paymentMethods: structuredClone(account.paymentMethods),
  }
}

/**
 * Checks the profile fields of {@link BoltEmulator.login}'s options.
 *
 * @throws {TypeError} naming the offending field.
 */
export function checkShopperProfile(profile: ShopperProfile): void {
  for (const field of ['email', 'firstName', 'lastName', 'phone'] as const) {
    const value = profile[field]
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new TypeError(`${field} must be a non-empty string`)
    }
  }
  for (const field of ['emailVerified', 'phoneVerified'] as const) {
    const value = profile[field]
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(`${field} must be a boolean`)
    }
  }
}
