/**
 * Which Bolt the example talks to, from the environment: Bolt's sandbox (or production) with
 * your keys, or a Bolt emulator you started (`npx bolt-token-lifecycle emulator`).
 */
import {
  BOLT_PRODUCTION_URL,
  BOLT_SANDBOX_URL,
  type TokenManagerOptions,
} from 'bolt-token-lifecycle'

/** The token manager options that name Bolt: keys, base URL and, for an emulator, its clock. */
export type BoltOptions = Pick<TokenManagerOptions, 'clientId' | 'clientSecret' | 'baseUrl'> &
  Pick<TokenManagerOptions, 'clock'> & { baseUrl: string }

/**
 * `BOLT_PUBLISHABLE_KEY` and `BOLT_API_KEY` (Bolt Merchant Dashboard, Developers > API), on the
 * sandbox unless `BOLT_ENVIRONMENT=production`; else `BOLT_EMULATOR_URL`, an emulator's address.
 *
 * @throws {Error} when neither is set, or only one of the two keys is.
 */
export async function boltOptions(env: NodeJS.ProcessEnv): Promise<BoltOptions> {
  const apiKey = env.BOLT_API_KEY
  if (apiKey !== undefined && apiKey !== '') {
    const publishableKey = env.BOLT_PUBLISHABLE_KEY
    if (publishableKey === undefined || publishableKey === '') {
      throw new Error('BOLT_API_KEY is set but BOLT_PUBLISHABLE_KEY is not: set both.')
    }
    return {
      clientId: publishableKey, // the publishable key is the OAuth client_id
      clientSecret: apiKey, // the API key is the client_secret (and X-API-Key): server-side only
      // Keys belong to one environment: sandbox keys work only against the sandbox.
      baseUrl: env.BOLT_ENVIRONMENT === 'production' ? BOLT_PRODUCTION_URL : BOLT_SANDBOX_URL,
    }
  }
  const emulatorUrl = env.BOLT_EMULATOR_URL
  if (emulatorUrl !== undefined && emulatorUrl !== '') {
    // Loaded only here: a deployment with keys never loads the emulator or the test helpers.
    const [{ EMULATOR_DEFAULTS }, { followEmulatorClock }] = await Promise.all([
      import('bolt-token-lifecycle/emulator'),
      import('bolt-token-lifecycle/testing'),
    ])
    // The emulator runs in another process: follow its clock, so that moving it
    // (`POST /__emulator/clock/advance`) expires this server's tokens too.
    const clock = await followEmulatorClock(emulatorUrl, { syncEveryMs: 100 })
    return {
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      baseUrl: emulatorUrl.replace(/\/+$/, ''),
      clock: clock.now,
    }
  }
  throw new Error(
    'Set BOLT_PUBLISHABLE_KEY and BOLT_API_KEY (Bolt), or BOLT_EMULATOR_URL (a Bolt emulator).',
  )
}
