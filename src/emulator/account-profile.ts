import { optionalMetadata, optionalString, withJsonBody } from './account-input.js'
import type { Account } from './accounts.js'
import { jsonReply, type Reply } from './http.js'
import type { AccountDetailsView, AccountProfileView } from './types.js'

/** The shopper's profile as Bolt answers it (`profile_view`). */
export function profileView(account: Account): AccountProfileView {
  const view: AccountProfileView = {
    first_name: account.firstName,
    last_name: account.lastName,
    name: `${account.firstName} ${account.lastName}`,
    email: account.email,
    phone: account.phone,
  }
  if (account.metadata !== undefined) view.metadata = { ...account.metadata }
  return view
}

/** `GET /v1/account`'s answer (`account_details`). */
export function accountDetails(account: Account): AccountDetailsView {
  return {
    profile: profileView(account),
    addresses: structuredClone(account.addresses),
    payment_methods: structuredClone(account.paymentMethods),
    has_bolt_account: true,
  }
}

/**
 * `PATCH /v1/account/profile` (`update_profile`): sets the `first_name`, `last_name` and
 * `metadata` sent (the others, email and phone included, are not editable here) and answers
 * the profile.
 */
export function updateProfile(account: Account, body: string): Reply {
  return withJsonBody(body, (input) => {
    const firstName = optionalString(input, 'first_name')
    const lastName = optionalString(input, 'last_name')
    const metadata = optionalMetadata(input)
    if (firstName !== undefined) account.firstName = firstName
    if (lastName !== undefined) account.lastName = lastName
    if (metadata !== undefined) account.metadata = metadata
    return jsonReply(200, profileView(account))
  })
}
