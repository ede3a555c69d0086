import type { TokenManagerOptions } from '../manager/options.js'

/**
 * What {@link emulatorManagerOptions} reads from an emulator: a {@link BoltEmulator}, or the
 * address and keys of one running in another process.
 * @group Emulator
 */
export interface EmulatorConnection {
  /** The emulator's publishable key, the token manager's `clientId`. */
  readonly clientId: string
  /** The emulator's API key, the token manager's `clientSecret`. */
  readonly clientSecret: string
  /** The emulator's base URL, the token manager's `baseUrl`. */
  readonly url: string
  /** The emulator's clock; absent for an emulator in another process. */
  now?(): number
}

/**
 * The options of `createTokenManager` that point a token manager at an emulator.
 * @group Emulator
 */
export type EmulatorManagerOptions = Required<
  Pick<TokenManagerOptions, 'clientId' | 'clientSecret' | 'baseUrl'>
> &
  Pick<TokenManagerOptions, 'clock'>

/**
 * The options that wire a token manager to `emulator`: its keys, its URL as `baseUrl`, and its
 * clock, so that `advanceClock` expires the manager's tokens too. Spread them into
 * `createTokenManager` next to your store and transport.
 *
 * An emulator in another process has no `now` to share: give the manager
 * `followEmulatorClock(emulator.url)` from `bolt-token-lifecycle/testing` as its `clock`.
 *
 * @example
 * ```ts
 * const bolt = await startBoltEmulator()
 * const tokens = createTokenManager({ ...emulatorManagerOptions(bolt), store })
 * ```
 * @group Emulator
 */
export function emulatorManagerOptions(emulator: EmulatorConnection): EmulatorManagerOptions {
  const options = {
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    baseUrl: emulator.url,
  }
  const now = emulator.now?.bind(emulator)
  return now === undefined ? options : { ...options, clock: now }
}
