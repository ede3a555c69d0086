/**
 * Typed methods for every route of Bolt's v1 Account API that acts for a shopper session.
 *
 * @module
 */
import { BoltTokenError } from '../errors.js'
import { SCOPE_MANAGE } from '../machine/token-set.js'
import type { TokenManager } from '../manager/token-manager.js'
import { rejectPromiseArguments } from '../promise-argument.js'
import { type CallLabel, readEmptyAnswer, readObjectAnswer, unanswered } from './account-answer.js'
import { type AccountFetch, type AccountFetchOptions, createAccountFetch } from './account-fetch.js'
import { merchantKeysFor } from './merchant-keys.js'
import type {
  AccountDetails,
  Address,
  AddressInput,
  CardInput,
  PaymentMethod,
  Profile,
  ProfileUpdate,
} from './types.js'

/**
 * Options of {@link createAccountApi}: those of {@link createAccountFetch}. `scope` applies to
 * reads only: writes always ask for `bolt.account.manage` first.
 * @group Account API
 */
export type AccountApiOptions = AccountFetchOptions

/**
 * Per-call options of a read.
 * @group Account API
 */
export interface AccountReadOptions {
  /** Aborts the call (`AbortSignal.timeout(ms)` makes it a `TIMEOUT`). */
  signal?: AbortSignal
}

/**
 * Per-call options of a write.
 * @group Account API
 */
export interface AccountWriteOptions extends AccountReadOptions {
  /**
   * Sent as `Idempotency-Key` (on the call's own retry after a `401` too): Bolt applies
   * writes that carry the same key once. Give one to retry safely a write that timed out
   * or failed on the network, with the same key. Without it, none is sent.
   */
  idempotencyKey?: string
}

/**
 * Bolt's Account API for one shopper session. Every method rejects with a `BoltTokenError`:
 * `SCOPE_REQUIRED` for a write on a session that cannot manage (before Bolt is called: show
 * the login modal again), `ACCOUNT_API_ERROR` ({@link BoltAccountError}) for Bolt's own
 * refusals, and the codes of {@link createAccountFetch} and `getAccessToken`.
 * @group Account API
 */
export interface AccountApi {
  /** `GET /v1/account`: the profile, addresses and payment methods. Needs view or manage. */
  getDetails(options?: AccountReadOptions): Promise<AccountDetails>
  /** `PATCH /v1/account/profile`: changes first name, last name or metadata. */
  updateProfile(update: ProfileUpdate, options?: AccountWriteOptions): Promise<Profile>
  /** `POST /v1/account/addresses`: adds an address; resolves with it, `id` included. */
  addAddress(address: AddressInput, options?: AccountWriteOptions): Promise<Address>
  /** `PUT /v1/account/addresses/{id}`: edits the address in place (same `id`). */
  editAddress(id: string, address: AddressInput, options?: AccountWriteOptions): Promise<Address>
  /** `POST /v1/account/addresses/{id}`: deletes the address and creates a new one (new `id`). */
  replaceAddress(id: string, address: AddressInput, options?: AccountWriteOptions): Promise<Address>
  /** `DELETE /v1/account/addresses/{id}`. */
  deleteAddress(id: string, options?: AccountWriteOptions): Promise<void>
  /** `POST /v1/account/payment_methods`: saves a card tokenized by Bolt's tokenizer. */
  addPaymentMethod(card: CardInput, options?: AccountWriteOptions): Promise<PaymentMethod>
  /** `DELETE /v1/account/payment_methods/{id}`. */
  deletePaymentMethod(id: string, options?: AccountWriteOptions): Promise<void>
}

/** `id` as one path segment, refused when it is not one (empty, `.`, `..`). */
function segment(id: unknown, what: string): string {
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..' || id.length > 512) {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      `${what} must be the id Bolt gave it (a non-empty string).`,
    )
  }
  return encodeURIComponent(id)
}

/** `body` as JSON, refused when it is not an object. */
function jsonBody(body: unknown, what: string): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BoltTokenError('INVALID_ARGUMENT', `${what} must be an object.`)
  }
  return JSON.stringify(body)
}

/**
 * Creates typed methods for Bolt's Account API that act for one shopper session, on
 * {@link createAccountFetch} (so with its guarantees: the token and API key only under the
 * API root, one refresh and retry on a `401`, no redirects followed). Writes ask for a
 * `bolt.account.manage` token first, so a view-only session is `SCOPE_REQUIRED` without
 * calling Bolt, and carry your `idempotencyKey` as `Idempotency-Key`.
 *
 * @example
 * ```ts
 * const account = createAccountApi(tokens, req.session.id)
 * const { profile, addresses = [] } = await account.getDetails()
 * try {
 *   await account.addAddress(address, { idempotencyKey: form.submissionId })
 * } catch (error) {
 *   if (isBoltTokenError(error, 'SCOPE_REQUIRED')) return showLoginModal() // step-up
 *   if (isBoltAccountError(error)) return res.status(400).json({ errors: error.errors })
 *   throw error
 * }
 * ```
 * @throws {BoltTokenError} `INVALID_ARGUMENT` at once when no API key is known (see the
 *   `apiKey` option).
 * @group Account API
 */
export function createAccountApi(
  tokens: TokenManager,
  sessionId: string,
  options: AccountApiOptions = {},
): AccountApi {
  rejectPromiseArguments('createAccountApi', { tokens, sessionId, options })
  const read = createAccountFetch(tokens, sessionId, options)
  const write = createAccountFetch(tokens, sessionId, { ...options, scope: SCOPE_MANAGE })
  const secrets = [merchantKeysFor(tokens, options).apiKey.reveal()]

  async function send(
    account: AccountFetch,
    method: string,
    path: string,
    init: { body?: string; options?: AccountWriteOptions },
  ): Promise<{ response: Response; call: CallLabel }> {
    const call = { method, path, secrets }
    const { body, options: per = {} } = init
    const headers = new Headers({ accept: 'application/json' })
    if (body !== undefined) headers.set('content-type', 'application/json')
    if (per.idempotencyKey !== undefined) headers.set('idempotency-key', per.idempotencyKey)
    try {
      const response = await account(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(per.signal === undefined ? {} : { signal: per.signal }),
      })
      return { response, call }
    } catch (error) {
      throw unanswered(error, call)
    }
  }

  const object = async <T>(
    account: AccountFetch,
    method: string,
    path: string,
    init: { body?: string; options?: AccountWriteOptions },
  ): Promise<T> => {
    const { response, call } = await send(account, method, path, init)
    return (await readObjectAnswer(response, call)) as T
  }
  const empty = async (method: string, path: string, options?: AccountWriteOptions) => {
    const { response, call } = await send(write, method, path, options ? { options } : {})
    return readEmptyAnswer(response, call)
  }
  const addresses = '/v1/account/addresses'

  return {
    getDetails: (options) =>
      object<AccountDetails>(read, 'GET', '/v1/account', options ? { options } : {}),
    updateProfile: async (update, options) =>
      object<Profile>(write, 'PATCH', '/v1/account/profile', {
        body: jsonBody(update, 'The profile update'),
        ...(options ? { options } : {}),
      }),
    addAddress: async (address, options) =>
      object<Address>(write, 'POST', addresses, {
        body: jsonBody(address, 'The address'),
        ...(options ? { options } : {}),
      }),
    editAddress: async (id, address, options) =>
      object<Address>(write, 'PUT', `${addresses}/${segment(id, 'The address id')}`, {
        body: jsonBody(address, 'The address'),
        ...(options ? { options } : {}),
      }),
    replaceAddress: async (id, address, options) =>
      object<Address>(write, 'POST', `${addresses}/${segment(id, 'The address id')}`, {
        body: jsonBody(address, 'The address'),
        ...(options ? { options } : {}),
      }),
    deleteAddress: async (id, options) =>
      empty('DELETE', `${addresses}/${segment(id, 'The address id')}`, options),
    addPaymentMethod: async (card, options) =>
      object<PaymentMethod>(write, 'POST', '/v1/account/payment_methods', {
        body: jsonBody(card, 'The card'),
        ...(options ? { options } : {}),
      }),
    deletePaymentMethod: async (id, options) =>
      empty(
        'DELETE',
        `/v1/account/payment_methods/${segment(id, 'The payment method id')}`,
        options,
      ),
  }
}
