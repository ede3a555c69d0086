/**
 * How the examples' `server.ts` reach Bolt: with your keys when `BOLT_API_KEY` is set,
 * else the built-in Bolt emulator (no keys, no network).
 */
import {
  BOLT_PRODUCTION_URL,
  BOLT_SANDBOX_URL,
  createTokenManager,
  type TokenManager,
} from 'bolt-token-lifecycle'
import {
  type BoltEmulator,
  emulatorManagerOptions,
  startBoltEmulator,
} from 'bolt-token-lifecycle/emulator'

/** A token manager and the Bolt it talks to. */
export interface BoltConnection {
  tokens: TokenManager
  /** Bolt's API base URL: the token endpoint's and the Account API's. */
  baseUrl: string
  /** The emulator, when no keys were given. */
  emulator?: BoltEmulator
  close(): Promise<void>
}

/**
 * `BOLT_PUBLISHABLE_KEY` and `BOLT_API_KEY` (Bolt Merchant Dashboard, Developers > API), on
 * the sandbox unless `BOLT_ENVIRONMENT=production`; without `BOLT_API_KEY`, the emulator.
 */
export async function connectBolt(env: NodeJS.ProcessEnv = process.env): Promise<BoltConnection> {
  const apiKey = env.BOLT_API_KEY
  if (apiKey !== undefined && apiKey !== '') {
    const publishableKey = env.BOLT_PUBLISHABLE_KEY
    if (publishableKey === undefined || publishableKey === '') {
      throw new Error('BOLT_API_KEY is set but BOLT_PUBLISHABLE_KEY is not: set both.')
    }
    // Keys belong to one environment: sandbox keys work only against the sandbox.
    const baseUrl = env.BOLT_ENVIRONMENT === 'production' ? BOLT_PRODUCTION_URL : BOLT_SANDBOX_URL
    const tokens = createTokenManager({
      clientId: publishableKey, // the publishable key is the OAuth client_id
      clientSecret: apiKey, // the API key is the client_secret (and X-API-Key): server-side only
      baseUrl,
    })
    return { tokens, baseUrl, close: async () => {} }
  }

  const emulator = await startBoltEmulator() // stands in for https://api.bolt.com
  // Its keys, its URL and its clock (advancing the clock expires tokens).
  const tokens = createTokenManager(emulatorManagerOptions(emulator))
  return { tokens, baseUrl: emulator.url, emulator, close: () => emulator.close() }
}

/** What the examples' `server.ts` print once listening. */
export function tryItInstructions(appUrl: string, bolt: BoltConnection): string {
  if (bolt.emulator === undefined) {
    return [
      `Merchant backend on ${appUrl}, talking to Bolt at ${bolt.baseUrl}`,
      'Your page: GET /bolt/login-state, open the Bolt login modal with that state, then POST',
      'its { code, state } to /bolt/login-callback; then GET /account.',
    ].join('\n')
  }
  const boltUrl = bolt.emulator.url
  return [
    `Merchant backend on ${appUrl} (Bolt emulator on ${boltUrl})`,
    '',
    'Try it (curl keeps the session cookie in ./cookies.txt):',
    `  curl -c cookies.txt -b cookies.txt ${appUrl}/bolt/login-state`,
    `  curl -X POST ${boltUrl}/__emulator/login -H 'content-type: application/json' -d '{"state":"<state>"}'   # the login modal`,
    `  curl -c cookies.txt -b cookies.txt -X POST ${appUrl}/bolt/login-callback \\`,
    `    -H 'content-type: application/json' -d '{"code":"<code>","state":"<state>"}'`,
    `  curl -b cookies.txt ${appUrl}/account`,
    `  curl -X POST ${boltUrl}/__emulator/clock/advance -H 'content-type: application/json' -d '{"ms":3660000}'   # an hour passes`,
  ].join('\n')
}
