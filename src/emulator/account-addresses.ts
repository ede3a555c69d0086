import { ACCOUNT_ERROR_CODES, accountErrorReply } from './account-errors.js'
import {
  InvalidInputError,
  optionalBoolean,
  optionalMetadata,
  optionalNullableString,
  optionalString,
  withJsonBody,
} from './account-input.js'
import type { Account } from './accounts.js'
import { emptyReply, jsonReply, type Reply } from './http.js'
import { randomId } from './random-id.js'
import type { AccountAddressView } from './types.js'

/** Address fields that are sent and read back under the same name. */
const SAME_NAME_FIELDS = [
  'first_name',
  'last_name',
  'name',
  'company',
  'street_address1',
  'street_address2',
  'locality',
  'region',
  'postal_code',
  'country',
  'country_code',
] as const

/** Fields Bolt's `address` schema lets be `null`. */
const NULLABLE_FIELDS = ['street_address3', 'street_address4', 'region_code', 'door_code'] as const

/** The v1 spec's required address fields (`region` only for US addresses, as it notes). */
const REQUIRED_FIELDS = [
  'street_address1',
  'locality',
  'country_code',
  'postal_code',
  'email',
  'first_name',
  'last_name',
] as const

/**
 * Reads an address as sent (Bolt's `address_account`) and returns it as Bolt reads it back
 * (`address_view` plus `default` and `metadata`): `email` becomes `email_address`, `phone`
 * becomes `phone_number`, and it gets `id`. Unknown fields are dropped.
 *
 * @throws {InvalidInputError} for a missing required field or a field of the wrong type.
 */
export function readAddress(input: Record<string, unknown>, id: string): AccountAddressView {
  const missing: string[] = REQUIRED_FIELDS.filter((name) => !isFilled(input[name]))
  if (input.country_code === 'US' && !isFilled(input.region)) missing.push('region')
  if (missing.length > 0) {
    throw new InvalidInputError(`Missing address fields: ${missing.join(', ')}`)
  }
  const view: AccountAddressView = { id, default: optionalBoolean(input, 'default') ?? false }
  for (const name of SAME_NAME_FIELDS) {
    const value = optionalString(input, name)
    if (value !== undefined) view[name] = value
  }
  for (const name of NULLABLE_FIELDS) {
    const value = optionalNullableString(input, name)
    if (value !== undefined) view[name] = value
  }
  view.email_address = optionalString(input, 'email') as string
  const phone = optionalString(input, 'phone')
  if (phone !== undefined) view.phone_number = phone
  const metadata = optionalMetadata(input)
  if (metadata !== undefined) view.metadata = metadata
  return view
}

/** `POST /v1/account/addresses`: saves the address and answers it as read back. */
export function addAddress(account: Account, body: string): Reply {
  return withJsonBody(body, (input) => {
    const address = readAddress(input, randomId('addr_'))
    save(account, address, account.addresses.length)
    return jsonReply(200, address)
  })
}

/** `PUT /v1/account/addresses/{id}`: replaces every field of the address, keeping its `id`. */
export function editAddress(account: Account, id: string, body: string): Reply {
  const index = account.addresses.findIndex((address) => address.id === id)
  if (index < 0) return addressNotFound()
  return withJsonBody(body, (input) => {
    const address = readAddress(input, id)
    account.addresses.splice(index, 1)
    save(account, address, index)
    return jsonReply(200, address)
  })
}

/**
 * `POST /v1/account/addresses/{id}`: Bolt's "replace", which deletes the address and creates
 * a new one: the answer has a new `id`, and the old one is gone.
 */
export function replaceAddress(account: Account, id: string, body: string): Reply {
  const index = account.addresses.findIndex((address) => address.id === id)
  if (index < 0) return addressNotFound()
  return withJsonBody(body, (input) => {
    const address = readAddress(input, randomId('addr_'))
    account.addresses.splice(index, 1)
    save(account, address, account.addresses.length)
    return jsonReply(200, address)
  })
}

/** `DELETE /v1/account/addresses/{id}`: `200` with an empty body, `404` for an unknown id. */
export function deleteAddress(account: Account, id: string): Reply {
  const index = account.addresses.findIndex((address) => address.id === id)
  if (index < 0) return addressNotFound()
  account.addresses.splice(index, 1)
  return emptyReply(200)
}

/** Inserts at `index`; a new default address takes the flag from the others (only one may have it). */
function save(account: Account, address: AccountAddressView, index: number): void {
  if (address.default) {
    for (const other of account.addresses) other.default = false
  }
  account.addresses.splice(index, 0, address)
}

function addressNotFound(): Reply {
  return accountErrorReply(404, ACCOUNT_ERROR_CODES.notFound, 'No address with this id')
}

function isFilled(value: unknown): boolean {
  return typeof value === 'string' && value !== ''
}
