/**
 * A wrapper for values that must never be printed: tokens, authorization codes, the API key.
 * Everything that turns it into text — `String()`, template literals, `JSON.stringify`,
 * Node's `util.inspect` (and so `console.log`), Deno's inspector — shows `[redacted]`. Only
 * `reveal()` gives the value, and the library calls it only where the value must leave:
 * the HTTP request to Bolt, the stored record, and `getAccessToken`'s result.
 *
 * @module
 */
import { REDACTED } from './oauth/redact.js'

const nodeInspect = Symbol.for('nodejs.util.inspect.custom')
const denoInspect = Symbol.for('Deno.customInspect')

/**
 * A string that prints as `[redacted]`.
 * @group Machine
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  /** The wrapped value. Call it only where the value must leave the library. */
  reveal(): string {
    return this.#value
  }

  /** Whether both wrap the same value. */
  equals(other: Secret): boolean {
    return other.#value === this.#value
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [nodeInspect](): string {
    return `Secret(${REDACTED})`
  }

  [denoInspect](): string {
    return `Secret(${REDACTED})`
  }
}
