/**
 * The merchant credentials a token manager was made with, for the library's own Account API
 * clients, which must send the API key too. Kept in a `WeakMap` rather than on the manager,
 * so that the manager object never holds the key where a `console.log(tokens)` could show it.
 *
 * @module
 */
import type { Secret } from '../secret.js'

/** What a manager's Account API calls authenticate the merchant with. */
export interface MerchantCredentials {
  /** The publishable key (`X-Publishable-Key`). */
  clientId: string
  /** The API key (`X-API-Key`), wrapped. */
  apiKey: Secret
}

const registry = new WeakMap<object, MerchantCredentials>()

/** Records the credentials of a manager this library created. */
export function registerCredentials(manager: object, credentials: MerchantCredentials): void {
  registry.set(manager, credentials)
}

/** The credentials of a manager this library created; `undefined` for any other object. */
export function credentialsOf(manager: object): MerchantCredentials | undefined {
  return registry.get(manager)
}
