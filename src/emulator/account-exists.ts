import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { ACCOUNT_ERROR_CODES, accountErrorReply } from './account-errors.js'
import type { AccountStore } from './accounts.js'
import { jsonReply, type Reply } from './http.js'
import { secureEqual } from './secure-compare.js'
import type { AccountExistsView } from './types.js'

/** The path of Bolt's account detection route. */
export const ACCOUNT_EXISTS_PATH = '/v1/account/exists'

/**
 * `GET /v1/account/exists?email=…` (or `sha256_email=…`, `phone=…`): no access token, the
 * merchant's publishable key in `X-Publishable-Key` (required by the v1 spec; missing or wrong
 * is answered `403`, the emulator's choice), `422` without any of the three parameters.
 */
export function answerAccountExists(
  accounts: AccountStore,
  clientId: string,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): Reply {
  const publishableKey = headers['x-publishable-key']
  if (typeof publishableKey !== 'string' || !secureEqual(publishableKey, clientId)) {
    return accountErrorReply(
      403,
      ACCOUNT_ERROR_CODES.invalidMerchantKey,
      'The X-Publishable-Key header is missing or is not the publishable key',
    )
  }
  const email = query.get('email')
  const sha256Email = query.get('sha256_email')
  const phone = query.get('phone')
  if (!email && !sha256Email && !phone) {
    return accountErrorReply(
      422,
      ACCOUNT_ERROR_CODES.invalidInput,
      'One of email, sha256_email or phone is required',
    )
  }
  const found =
    (email ? accounts.findByEmail(email.trim()) : undefined) ??
    (sha256Email ? accounts.findBySha256Email(sha256Email.toLowerCase()) : undefined) ??
    (phone ? accounts.findByPhone(phone) : undefined)
  const answer: AccountExistsView = { has_bolt_account: found !== undefined }
  return jsonReply(200, answer)
}

/**
 * The `sha256_email` of an address: the SHA-256, in hex, of the trimmed lower-cased email.
 * @group Emulator
 */
export function sha256Email(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex')
}
