/**
 * The forgotten `await`: an argument or option that is a Promise gets an error that says so.
 * Without this check the Promise reaches the usual validation, which reports whatever a
 * Promise lacks (`clientId must be a non-empty string`, `no API key is known`) or, for an
 * options object, silently finds no options at all.
 *
 * @module
 */
import { isPromiseLike } from './contracts.js'
import { BoltTokenError } from './errors.js'

/** Builds the error thrown for a Promise argument from its message. */
export type PromiseArgumentError = (message: string) => Error

const invalidArgument: PromiseArgumentError = (message) =>
  new BoltTokenError('INVALID_ARGUMENT', message)

/**
 * Throws when `value` is a Promise, or any other thenable (checked by shape, as `await` does,
 * so a Promise from another realm counts too).
 *
 * @param name - the argument as the message names it, e.g. ``createAccountApi: `tokens` ``.
 * @param toError - builds the error from the message; by default a `BoltTokenError` with code
 *   `INVALID_ARGUMENT`.
 * @throws the error `toError` builds, with the message
 *   `<name> is a Promise: did you forget \`await\`?`
 */
export function rejectPromiseArgument(
  value: unknown,
  name: string,
  toError: PromiseArgumentError = invalidArgument,
): void {
  if (isPromiseLike(value)) throw toError(`${name} is a Promise: did you forget \`await\`?`)
}

/**
 * Throws when one of a function's arguments is a Promise. An argument named `options` that is
 * an object has each of its own fields checked as well, as `options.<field>`.
 *
 * @param caller - the function's name, the start of the message.
 * @param args - the arguments by name, in the order they are checked.
 * @param toError - builds the error from the message (see {@link rejectPromiseArgument}).
 *
 * @example
 * ```ts
 * rejectPromiseArguments('createAccountApi', { tokens, sessionId, options })
 * // createAccountApi: `tokens` is a Promise: did you forget `await`?
 * ```
 */
export function rejectPromiseArguments(
  caller: string,
  args: Record<string, unknown>,
  toError: PromiseArgumentError = invalidArgument,
): void {
  for (const [name, value] of Object.entries(args)) {
    rejectPromiseArgument(value, `${caller}: \`${name}\``, toError)
    if (name !== 'options' || typeof value !== 'object' || value === null) continue
    for (const [field, option] of Object.entries(value)) {
      rejectPromiseArgument(option, `${caller}: \`options.${field}\``, toError)
    }
  }
}
