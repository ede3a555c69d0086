/**
 * The bodies Bolt's v1 Account API takes and the answers it gives, as its OpenAPI document
 * (`getAccount`, `updateAccountProfile`, `addAddress`, `editAddress`, `replaceAddress`,
 * `addPaymentMethod`, `detectAccount`) describes them. Bolt may leave any answer field out, so
 * answer fields are optional; what a body needs is marked required where Bolt requires it.
 *
 * @module
 */

/**
 * Up to five key-value pairs of your own stored with a Bolt account object.
 * @group Account API
 */
export type ShopperMetadata = Record<string, string> | null

/**
 * The shopper's profile (`profile_view`).
 * @group Account API
 */
export interface Profile {
  first_name?: string
  last_name?: string
  /** Given name and surname together. */
  name?: string
  /** The email Bolt uses as the account's unique id. */
  email?: string
  phone?: string
  metadata?: ShopperMetadata
}

/**
 * The profile fields `PATCH /v1/account/profile` changes (`update_profile`).
 * @group Account API
 */
export interface ProfileUpdate {
  first_name?: string
  last_name?: string
  metadata?: ShopperMetadata
}

/**
 * An address as sent to `POST /v1/account/addresses`, `PUT` and `POST /v1/account/addresses/{id}`
 * (`address_account`). Note the field names: `email` and `phone` here, `email_address` and
 * `phone_number` in the {@link Address} Bolt answers with.
 * @group Account API
 */
export interface AddressInput {
  first_name: string
  last_name: string
  company?: string
  street_address1: string
  street_address2?: string
  street_address3?: string | null
  street_address4?: string | null
  /** City or town. */
  locality: string
  region: string
  /** ISO 3166-2 region code; inferred from `region` when absent. */
  region_code?: string | null
  postal_code: string
  country?: string
  /** ISO 3166-1 alpha-2. */
  country_code: string
  email: string
  phone?: string
  door_code?: string
  /** Make this the default shipping address (only one address is). */
  default?: boolean
  metadata?: ShopperMetadata
}

/**
 * A saved address as Bolt answers with it (`account_details_address_view`): an {@link AddressInput}
 * with an `id`, and `email_address` / `phone_number` in place of `email` / `phone`.
 * @group Account API
 */
export interface Address {
  id: string
  first_name?: string
  last_name?: string
  name?: string
  company?: string
  street_address1?: string
  street_address2?: string
  street_address3?: string | null
  street_address4?: string | null
  locality?: string
  region?: string
  region_code?: string | null
  postal_code?: string
  country?: string
  country_code?: string
  email_address?: string
  phone_number?: string
  door_code?: string | null
  priority?: 'primary' | 'listed' | null
  default?: boolean
  metadata?: ShopperMetadata
}

/**
 * A card network, as Bolt names it.
 * @group Account API
 */
export type CardNetwork =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'dinersclub'
  | 'jcb'
  | 'unionpay'
  | 'alliancedata'
  | 'citiplcc'
  | 'unknown'

/**
 * A saved payment method as Bolt answers with it (`saved_credit_card_view`, or a PayPal account).
 * Only the last four digits of a card are ever returned.
 * @group Account API
 */
export interface PaymentMethod {
  id: string
  /** `card` when absent. */
  type?: 'card' | 'paypal'
  last4?: string
  exp_month?: number
  exp_year?: number
  network?: CardNetwork
  billing_address?: Omit<Address, 'id'> & { id?: string }
  default?: boolean
  /** For an alternative payment method (PayPal): its account identifier, usually an email. */
  description?: string
  metadata?: ShopperMetadata
}

/**
 * A card for `POST /v1/account/payment_methods` (`credit_card_account`): tokenized in the
 * shopper's browser by Bolt's tokenizer first. The card number never reaches your backend.
 * @group Account API
 */
export interface CardInput {
  /** The token Bolt's tokenizer returned for the card. */
  token: string
  /** Which processor made `token`: `bolt` for Bolt's tokenizer. */
  token_type?: 'bolt' | 'vantiv' | 'applepay' | 'stripe' | 'plcc' | 'applepay_encrypted_blob'
  /** `YYYY-MM`, e.g. `2030-11`. */
  expiration: string
  /** The card's billing address (or give `billing_address_id`). */
  billing_address: AddressInput | null
  /** A saved address's id, in place of `billing_address`. */
  billing_address_id?: string | null
  last4?: string
  /** The first 4 to 6 digits. */
  bin?: string
  network?: CardNetwork
  postal_code?: string
  /** `1` primary, `2` secondary. */
  priority?: 1 | 2
  /** Whether Bolt saves the card to the account. @default true */
  save?: boolean
  /** An ISO 4217 code for the card's authorization; may be left out. */
  currency?: string
  metadata?: ShopperMetadata
}

/**
 * `GET /v1/account`'s answer (`account_details`).
 * @group Account API
 */
export interface AccountDetails {
  profile?: Profile
  addresses?: Address[]
  payment_methods?: PaymentMethod[]
  has_bolt_account?: boolean
}

/**
 * One error in Bolt's Account API error body: `code` is Bolt's own (a number in Bolt's
 * document, e.g. `2001005`), `message` is for developers, not shoppers.
 * @group Account API
 */
export interface AccountErrorEntry {
  code: number | string
  message: string
}

/**
 * The body Bolt's Account API answers an error with.
 * @group Account API
 */
export interface AccountError {
  result: { success: false }
  errors: AccountErrorEntry[]
}
