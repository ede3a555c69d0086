/**
 * The `logger` option: a pino-compatible sink (`logger.warn(object, message)`), fed only
 * with secret-free fields. Sessions appear as a short tag, not their id: merchants often
 * use their session cookie's value as the id.
 *
 * @module
 */

import type { LifecycleEvent } from './lifecycle-events.js'

/**
 * A pino-compatible logger; every method is optional. `console` works too.
 * @group Observability
 */
export interface Logger {
  debug?(fields: Record<string, unknown>, message: string): void
  info?(fields: Record<string, unknown>, message: string): void
  warn?(fields: Record<string, unknown>, message: string): void
  error?(fields: Record<string, unknown>, message: string): void
}

/**
 * The level names of {@link Logger}.
 * @group Observability
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * A short, stable, non-reversible-enough tag for a session id (FNV-1a, 32 bits).
 * @group Observability
 */
export function sessionTag(sessionId: string): string {
  let hash = 0x811c9dc5
  for (let index = 0; index < sessionId.length; index++) {
    hash ^= sessionId.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return `s-${hash.toString(16).padStart(8, '0')}`
}

/** Writes to `logger` at `level`; a failing logger never breaks the library. */
export function log(
  logger: Logger | undefined,
  level: LogLevel,
  fields: Record<string, unknown>,
  message: string,
): void {
  const write = logger?.[level]
  if (write === undefined) return
  try {
    write.call(logger, { lib: 'bolt-token-lifecycle', ...fields }, message)
  } catch {
    // logging is best effort
  }
}

/**
 * Writes one lifecycle event to `logger`, secret-free: the session appears as its tag.
 * Failures and takeovers are warnings, store failures errors, the rest info or debug.
 */
export function logLifecycleEvent(logger: Logger | undefined, event: LifecycleEvent): void {
  if (logger === undefined) return
  const session = sessionTag(event.sessionId)
  switch (event.type) {
    case 'transition':
      log(
        logger,
        'debug',
        { session, from: event.from, to: event.to, event: event.event },
        'transition',
      )
      return
    case 'tokenRequest': {
      const fields = {
        session,
        grant: event.grant,
        outcome: event.outcome,
        durationMs: Math.round(event.durationMs),
      }
      if (event.outcome === 'ok') log(logger, 'info', fields, 'token request succeeded')
      else log(logger, 'warn', fields, 'token request failed')
      return
    }
    case 'stepUp':
      log(logger, 'info', { session }, 'step-up: the session may manage the account again')
      return
    case 'downgrade':
      log(logger, 'info', { session }, 'downgrade: the session is view-only until the next login')
      return
    case 'leaseContention':
      log(
        logger,
        'debug',
        { session, waitedMs: Math.round(event.waitedMs) },
        'waited for another instance holding the session',
      )
      return
    case 'leaseTakenOver':
      log(
        logger,
        'warn',
        { session, state: event.state, reason: event.reason },
        event.reason === 'outlived'
          ? "took over a lease that had not ended by this instance's clock but outlived leaseMs: the holder's clock runs ahead; synchronise the instances' clocks"
          : 'took over an ended lease: its holder did not finish (crashed or hung?)',
      )
      return
    case 'error':
      log(logger, 'error', { session, error: event.error.toJSON() }, event.detail)
      return
  }
}
