/**
 * Calls the emulator's Account API the way a merchant backend would, for the tour, the
 * playground, the test kit and tests: one place that knows the routes and a valid address.
 */

/** A valid address for `POST /v1/account/addresses`. */
export const SAMPLE_ADDRESS = {
  street_address1: '1 Market St',
  locality: 'San Francisco',
  postal_code: '94105',
  country_code: 'US',
} as const

/** `read` is `GET /v1/account`; `write` adds {@link SAMPLE_ADDRESS}. Resolves with the response. */
export function requestAccount(
  baseUrl: string,
  accessToken: string,
  action: 'read' | 'write',
): Promise<Response> {
  const headers = { authorization: `Bearer ${accessToken}` }
  return action === 'read'
    ? fetch(`${baseUrl}/v1/account`, { headers })
    : fetch(`${baseUrl}/v1/account/addresses`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(SAMPLE_ADDRESS),
      })
}

/** Like {@link requestAccount}, resolving with the status only (the body is discarded). */
export async function accountStatus(
  baseUrl: string,
  accessToken: string,
  action: 'read' | 'write',
): Promise<number> {
  const response = await requestAccount(baseUrl, accessToken, action)
  await response.body?.cancel()
  return response.status
}
