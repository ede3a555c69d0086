import { ACCOUNT_ERROR_CODES, accountErrorReply } from './account-errors.js'
import type { Reply } from './http.js'
import type { ShopperMetadata } from './types.js'

/** Thrown while reading an Account API body; the route answers it as a `422`. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError'
}

/**
 * Reads the body as a JSON object and hands it to `write`; answers `400` when it is not one,
 * and `422` when `write` throws {@link InvalidInputError}.
 */
export function withJsonBody(
  body: string,
  write: (input: Record<string, unknown>) => Reply,
): Reply {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    value = undefined
  }
  if (!isRecord(value)) {
    return accountErrorReply(400, ACCOUNT_ERROR_CODES.invalidJson, 'The body must be a JSON object')
  }
  try {
    return write(value)
  } catch (error) {
    if (error instanceof InvalidInputError) return invalidInputReply(error)
    throw error
  }
}

/** The `422` for an {@link InvalidInputError}. */
export function invalidInputReply(error: InvalidInputError): Reply {
  return accountErrorReply(422, ACCOUNT_ERROR_CODES.invalidInput, error.message)
}

/** `input[name]` if it is a string, `undefined` if absent; throws for another type. */
export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new InvalidInputError(`${name} must be a string`)
  return value
}

/** `input[name]` if it is a string or `null` (Bolt's nullable fields), `undefined` if absent. */
export function optionalNullableString(
  input: Record<string, unknown>,
  name: string,
): string | null | undefined {
  return input[name] === null ? null : optionalString(input, name)
}

/** `input[name]` if it is a boolean, `undefined` if absent; throws for another type. */
export function optionalBoolean(input: Record<string, unknown>, name: string): boolean | undefined {
  const value = input[name]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new InvalidInputError(`${name} must be a boolean`)
  return value
}

/**
 * `input.metadata` as Bolt's `shopper_metadata` (string values; numbers are kept as their
 * text), `undefined` when absent or `null`.
 */
export function optionalMetadata(input: Record<string, unknown>): ShopperMetadata | undefined {
  const value = input.metadata
  if (value === undefined || value === null) return undefined
  if (!isRecord(value)) throw new InvalidInputError('metadata must be an object')
  const metadata: ShopperMetadata = {}
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string' && typeof entry !== 'number') {
      throw new InvalidInputError('metadata values must be strings')
    }
    metadata[key] = String(entry)
  }
  return metadata
}

/** Whether `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
