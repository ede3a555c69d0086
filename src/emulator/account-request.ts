/**
 * Calls the emulator's Account API the way a merchant backend would, for the tour, the
 * playground, the test kit and tests: one place that knows the routes, the merchant headers
 * and a valid address.
 */
import { EMULATOR_DEFAULTS } from './options.js'

/**
 * A valid address for `POST /v1/account/addresses`: every field Bolt's v1 spec requires.
 * @group Emulator
 */
export const SAMPLE_ADDRESS = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Market St',
  locality: 'San Francisco',
  region: 'CA',
  postal_code: '94105',
  country_code: 'US',
  email: 'shopper@example.com',
  phone: '+14155550199',
} as const

/**
 * Where to send the request: the emulator's base URL (its default API key is sent), or an
 * object with the URL and the API key (a {@link BoltEmulator} is one).
 * @group Emulator
 */
export type AccountRequestTarget = string | { url: string; clientSecret: string }

/**
 * `read` is `GET /v1/account`; `write` adds {@link SAMPLE_ADDRESS}. Sends the access token
 * and the merchant's `X-API-Key`, as Bolt requires. Resolves with the response.
 *
 * @example
 * const response = await requestAccount(bolt, accessToken, 'read')
 * @group Emulator
 */
export function requestAccount(
  target: AccountRequestTarget,
  accessToken: string,
  action: 'read' | 'write',
): Promise<Response> {
  const { url, clientSecret } =
    typeof target === 'string'
      ? { url: target, clientSecret: EMULATOR_DEFAULTS.clientSecret }
      : target
  const headers = { authorization: `Bearer ${accessToken}`, 'x-api-key': clientSecret }
  return action === 'read'
    ? fetch(`${url}/v1/account`, { headers })
    : fetch(`${url}/v1/account/addresses`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(SAMPLE_ADDRESS),
      })
}

/**
 * Like {@link requestAccount}, resolving with the status only (the body is discarded).
 * @group Emulator
 */
export async function accountStatus(
  target: AccountRequestTarget,
  accessToken: string,
  action: 'read' | 'write',
): Promise<number> {
  const response = await requestAccount(target, accessToken, action)
  await response.body?.cancel()
  return response.status
}
