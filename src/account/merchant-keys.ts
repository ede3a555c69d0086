/**
 * The merchant keys an Account API request carries besides the shopper's token: Bolt requires
 * `X-API-Key` on every session route, and takes `X-Publishable-Key`.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'
import { credentialsOf } from '../manager/credentials.js'
import type { TokenManager } from '../manager/token-manager.js'
import { Secret } from '../secret.js'
import type { AccountClientOptions } from './account-auth.js'

/** The keys one client sends. The API key stays wrapped until it is set on a request. */
export interface MerchantKeys {
  apiKey: Secret
  publishableKey?: string
}

/** `X-API-Key`. */
export const API_KEY_HEADER = 'x-api-key'
/** `X-Publishable-Key`. */
export const PUBLISHABLE_KEY_HEADER = 'x-publishable-key'

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== ''

/**
 * The keys for a client of `tokens`: `options.apiKey` / `options.publishableKey` when given,
 * else the ones `createTokenManager` registered for `tokens`.
 *
 * @throws {BoltTokenError} `INVALID_ARGUMENT` when no API key can be found (a `tokens` this
 *   library did not make, and no `apiKey` option).
 */
export function merchantKeysFor(
  tokens: TokenManager,
  options: Pick<AccountClientOptions, 'apiKey' | 'publishableKey'>,
): MerchantKeys {
  const registered = credentialsOf(tokens)
  const given = options.apiKey
  const apiKey =
    given instanceof Secret ? given : nonEmpty(given) ? new Secret(given) : registered?.apiKey
  if (apiKey === undefined || apiKey.reveal() === '') {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      'Bolt’s Account API needs your API key (X-API-Key) with the shopper’s token, and this token manager was not made by createTokenManager: pass { apiKey } (and { publishableKey }) in the client’s options.',
    )
  }
  const publishableKey = nonEmpty(options.publishableKey)
    ? options.publishableKey
    : registered?.clientId
  return publishableKey === undefined ? { apiKey } : { apiKey, publishableKey }
}

/** Sets the merchant's key headers on `headers` (a copy only the network sees). */
export function setMerchantKeys(headers: Headers, keys: MerchantKeys): void {
  headers.set(API_KEY_HEADER, keys.apiKey.reveal())
  if (keys.publishableKey !== undefined) headers.set(PUBLISHABLE_KEY_HEADER, keys.publishableKey)
}
