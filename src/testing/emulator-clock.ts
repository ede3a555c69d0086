/**
 * A clock that follows a Bolt emulator running in another process, for token managers that
 * cannot share the in-process `bolt.now`: every backend instance of a multi-instance test.
 *
 * @module
 */

/**
 * A clock kept at the emulator's time (see {@link followEmulatorClock}).
 * @group Testing
 */
export interface EmulatorClock {
  /** The emulator's time, in epoch milliseconds: pass it as the token manager's `clock`. */
  readonly now: () => number
  /** Reads the emulator's clock again: call it after anyone moved it (`/__emulator/clock/advance`). */
  sync(): Promise<void>
  /** Stops the background re-reads, if `syncEveryMs` started them. */
  stop(): void
}

/**
 * Options of {@link followEmulatorClock}.
 * @group Testing
 */
export interface FollowEmulatorClockOptions {
  /**
   * Re-read the emulator's clock this often, in milliseconds, so that a move made by another
   * process is seen without calling `sync()`. Off by default.
   */
  syncEveryMs?: number
  /** The `fetch` to call. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

/**
 * Reads the clock of the emulator at `emulatorUrl` (`GET /__emulator/clock`) and returns a
 * clock that keeps the same offset from this machine's clock. Between syncs it runs at the
 * local rate; a move of the emulator's clock shows after the next `sync()`.
 *
 * @example
 * ```ts
 * // In each backend instance of your test, with the emulator in its own process:
 * const bolt = await followEmulatorClock(process.env.BOLT_EMULATOR_URL!, { syncEveryMs: 200 })
 * const tokens = createTokenManager({ clientId, clientSecret, baseUrl: process.env.BOLT_EMULATOR_URL, clock: bolt.now, store })
 * ```
 * @throws {Error} when the emulator does not answer with its clock.
 * @group Testing
 */
export async function followEmulatorClock(
  emulatorUrl: string,
  options: FollowEmulatorClockOptions = {},
): Promise<EmulatorClock> {
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const url = `${emulatorUrl.replace(/\/+$/, '')}/__emulator/clock`
  let offsetMs = 0

  async function sync(): Promise<void> {
    const before = Date.now()
    const response = await send(url, { headers: { accept: 'application/json' } })
    if (!response.ok) {
      throw new Error(`The emulator at ${url} answered ${response.status} for its clock.`)
    }
    const { now } = (await response.json()) as { now?: unknown }
    if (typeof now !== 'number') throw new Error(`The emulator at ${url} sent no clock reading.`)
    // The reading was taken somewhere between sending and receiving: assume the middle.
    offsetMs = now - (before + Date.now()) / 2
  }

  await sync()
  let timer: ReturnType<typeof setInterval> | undefined
  if (options.syncEveryMs !== undefined) {
    timer = setInterval(() => {
      sync().catch(() => {
        // keep the last offset; the next tick tries again
      })
    }, options.syncEveryMs)
    // A test process must be able to exit while it follows a clock.
    ;(timer as { unref?: () => void }).unref?.()
  }
  return {
    now: () => Math.round(Date.now() + offsetMs),
    sync,
    stop: () => clearInterval(timer),
  }
}
