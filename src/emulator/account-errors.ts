import { jsonReply, type Reply } from './http.js'
import type { AccountErrorBody } from './types.js'

/**
 * The numeric `code` of each Account API error the emulator answers. Bolt's v1 spec types
 * `code` as an integer and shows `2001005` for a missing parameter; the others come from
 * Bolt's public error-code catalogue (help.bolt.com/developers/error-codes) where one fits.
 * Clients should branch on the HTTP status, not on these numbers.
 * @group Emulator
 */
export const ACCOUNT_ERROR_CODES = {
  /** The body is not JSON (catalogue: `AppInvalidJSON`). */
  invalidJson: 4005,
  /** No usable access token (catalogue: common code 401, "Unauthorized user"). */
  unauthorized: 401,
  /** `X-API-Key` or `X-Publishable-Key` missing or wrong (catalogue: `AuthInvalidMerchantKey`). */
  invalidMerchantKey: 1005,
  /** The token's scope does not allow this action (catalogue: `AuthInvalidSessionLevel`). */
  insufficientSessionLevel: 1003,
  /** The resource belongs to another shopper (catalogue: common code 403). */
  forbidden: 403,
  /** No such route or resource (catalogue: common code 404). */
  notFound: 404,
  /** The route exists, not with this method (our choice). */
  methodNotAllowed: 405,
  /** A required parameter or field is missing or invalid (the v1 spec's example code). */
  invalidInput: 2001005,
} as const

/** A Bolt Account API error reply: `{ "result": { "success": false }, "errors": [{ code, message }] }`. */
export function accountErrorReply(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  const body: AccountErrorBody = { result: { success: false }, errors: [{ code, message }] }
  return jsonReply(status, body, headers)
}
