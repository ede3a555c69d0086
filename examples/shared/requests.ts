/**
 * Reads the JSON bodies the examples accept. A body that is not what a route expects is the
 * client's mistake (400), never a reason to call Bolt.
 */
import type { AddressInput } from 'bolt-token-lifecycle'

/** A request body the route cannot use: answered 400 `BAD_REQUEST` with this message. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError'
}

const MAX_FIELD_LENGTH = 4096

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH
}

/** What the frontend posts to the login callback: what the Bolt login modal gave it. */
export interface LoginCallbackBody {
  code: string
  state: string
}

/**
 * Reads `{ code, state }`. Both are required: a callback without a `state` is refused
 * before it can reach `exchangeCode`.
 *
 * @throws {BadRequestError}
 */
export function readLoginCallback(body: unknown): LoginCallbackBody {
  if (!isObject(body) || !isNonEmptyString(body.code) || !isNonEmptyString(body.state)) {
    throw new BadRequestError(
      'Expected a JSON body { "code": string, "state": string } from the Bolt login modal.',
    )
  }
  return { code: body.code, state: body.state }
}

/**
 * Reads a new address: a JSON object, passed on to Bolt's Account API, which checks the
 * fields (`first_name`, `last_name`, `street_address1`, `locality`, `region`, `postal_code`,
 * `country_code`, `email`, …) and answers a `422` the error mapping turns into a 400.
 *
 * @throws {BadRequestError}
 */
export function readAddress(body: unknown): AddressInput {
  if (!isObject(body)) {
    throw new BadRequestError(
      'Expected a JSON object with the address fields (first_name, last_name, street_address1, locality, region, postal_code, country_code, email).',
    )
  }
  return body as unknown as AddressInput
}
