/**
 * The Bolt emulator seen from inside a runtime under test: its HTTP control API
 * (`/__emulator/`) and its Account API, over `fetch` only.
 */

/** What the smoke test asks of the emulator, which runs in the parent Node process. */
export interface EmulatorControl {
  /** The emulator clock (epoch ms). */
  now(): Promise<number>
  /** Moves the emulator clock by `ms`. */
  advanceClock(ms: number): Promise<void>
  /** Stands in for the login modal: a single-use authorization code issued for `state`. */
  login(state: string): Promise<string>
  /** `GET /v1/account` with the token (and the merchant's keys): Bolt's HTTP status. */
  readAccount(accessToken: string): Promise<number>
  /** `POST /v1/account/addresses` with the token (and the merchant's keys): Bolt's HTTP status. */
  addAddress(accessToken: string): Promise<number>
}

/** The merchant's keys, which Bolt requires with the token on every Account API call. */
export interface MerchantKeys {
  apiKey: string
  publishableKey: string
}

const ADDRESS = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Market St',
  locality: 'San Francisco',
  region: 'California',
  postal_code: '94105',
  country_code: 'US',
  email: 'shopper@example.com',
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  if (!response.ok) throw new Error(`${what}: the emulator answered ${response.status}`)
  return (await response.json()) as Record<string, unknown>
}

async function status(response: Response): Promise<number> {
  await response.body?.cancel()
  return response.status
}

/** A control client for the emulator at `baseUrl`; its Account API calls carry `keys`. */
export function emulatorControl(baseUrl: string, keys: MerchantKeys): EmulatorControl {
  const accountHeaders = (accessToken: string) => ({
    authorization: `Bearer ${accessToken}`,
    'x-api-key': keys.apiKey,
    'x-publishable-key': keys.publishableKey,
  })
  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${baseUrl}/__emulator/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  return {
    async now() {
      const { now } = await json(await control('GET', 'clock'), 'GET clock')
      if (typeof now !== 'number') throw new Error('GET clock: no `now` in the answer')
      return now
    },
    async advanceClock(ms) {
      await json(await control('POST', 'clock/advance', { ms }), 'POST clock/advance')
    },
    async login(state) {
      const { code } = await json(await control('POST', 'login', { state }), 'POST login')
      if (typeof code !== 'string') throw new Error('POST login: no `code` in the answer')
      return code
    },
    async readAccount(accessToken) {
      return status(await fetch(`${baseUrl}/v1/account`, { headers: accountHeaders(accessToken) }))
    },
    async addAddress(accessToken) {
      return status(
        await fetch(`${baseUrl}/v1/account/addresses`, {
          method: 'POST',
          headers: {
            ...accountHeaders(accessToken),
            'content-type': 'application/json',
            'idempotency-key': crypto.randomUUID(),
          },
          body: JSON.stringify(ADDRESS),
        }),
      )
    },
  }
}
