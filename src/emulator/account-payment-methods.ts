import { readAddress } from './account-addresses.js'
import { ACCOUNT_ERROR_CODES, accountErrorReply } from './account-errors.js'
import {
  InvalidInputError,
  isRecord,
  optionalMetadata,
  optionalString,
  withJsonBody,
} from './account-input.js'
import type { Account } from './accounts.js'
import { emptyReply, jsonReply, type Reply } from './http.js'
import { randomId } from './random-id.js'
import type { AccountPaymentMethodView } from './types.js'

/** Bolt's `card_network` values. */
const CARD_NETWORKS = [
  'visa',
  'mastercard',
  'amex',
  'discover',
  'dinersclub',
  'jcb',
  'unionpay',
  'alliancedata',
  'citiplcc',
  'unknown',
] as const

/**
 * Reads a tokenized card as sent (Bolt's `credit_card_account`: `token`, `expiration`
 * `YYYY-MM`, and `billing_address` or the id of a saved address in `billing_address_id`) and
 * returns the saved card view (`saved_credit_card_view`). A card without `last4` reads back
 * `'0000'`, without `network` `'unknown'` (the emulator's choice; Bolt's tokenizer gives both).
 *
 * @throws {InvalidInputError} naming the offending field.
 */
export function readCard(
  account: Account,
  input: Record<string, unknown>,
): AccountPaymentMethodView {
  const token = optionalString(input, 'token')
  if (token === undefined || token === '') throw new InvalidInputError('Missing card field: token')
  const expiration = /^(\d{4})-(\d{2})$/.exec(optionalString(input, 'expiration') ?? '')
  const month = Number(expiration?.[2])
  if (expiration === null || month < 1 || month > 12) {
    throw new InvalidInputError('expiration must be a YYYY-MM date')
  }
  const last4 = optionalString(input, 'last4') ?? '0000'
  if (!/^\d{4}$/.test(last4)) throw new InvalidInputError('last4 must be 4 digits')
  const network = optionalString(input, 'network') ?? 'unknown'
  if (!(CARD_NETWORKS as readonly string[]).includes(network)) {
    throw new InvalidInputError(`network must be one of ${CARD_NETWORKS.join(', ')}`)
  }
  const card: AccountPaymentMethodView = {
    id: randomId('pm_'),
    type: 'card',
    last4,
    exp_month: month,
    exp_year: Number(expiration[1]),
    network,
    billing_address: billingAddress(account, input),
    default: input.priority === 1,
  }
  const metadata = optionalMetadata(input)
  if (metadata !== undefined) card.metadata = metadata
  return card
}

function billingAddress(
  account: Account,
  input: Record<string, unknown>,
): AccountPaymentMethodView['billing_address'] {
  const savedId = optionalString(input, 'billing_address_id')
  if (savedId !== undefined) {
    const saved = account.addresses.find((address) => address.id === savedId)
    if (saved === undefined)
      throw new InvalidInputError('billing_address_id is not a saved address')
    const { default: _default, metadata: _metadata, ...view } = saved
    return structuredClone(view)
  }
  if (!isRecord(input.billing_address)) {
    throw new InvalidInputError('Missing card field: billing_address (or billing_address_id)')
  }
  const {
    default: _default,
    metadata: _metadata,
    ...view
  } = readAddress(input.billing_address, randomId('addr_'))
  return view
}

/** `POST /v1/account/payment_methods`: saves the card and answers its view. */
export function addPaymentMethod(account: Account, body: string): Reply {
  return withJsonBody(body, (input) => {
    const card = readCard(account, input)
    if (card.default) {
      for (const other of account.paymentMethods) other.default = false
    }
    account.paymentMethods.push(card)
    return jsonReply(200, card)
  })
}

/**
 * `DELETE /v1/account/payment_methods/{id}`: `200` with an empty body; `403` when the id is
 * another shopper's card, `404` when no shopper has it (the two errors Bolt documents).
 */
export function deletePaymentMethod(
  account: Account,
  id: string,
  ownerOf: (paymentMethodId: string) => Account | undefined,
): Reply {
  const index = account.paymentMethods.findIndex((card) => card.id === id)
  if (index >= 0) {
    account.paymentMethods.splice(index, 1)
    return emptyReply(200)
  }
  if (ownerOf(id) !== undefined) {
    return accountErrorReply(
      403,
      ACCOUNT_ERROR_CODES.forbidden,
      "This payment method is not in the shopper's wallet",
    )
  }
  return accountErrorReply(404, ACCOUNT_ERROR_CODES.notFound, 'No payment method with this id')
}
