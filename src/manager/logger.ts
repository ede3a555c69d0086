/**
 * The `logger` option: a pino-compatible sink (`logger.warn(object, message)`), fed only
 * with secret-free fields. Sessions appear as a short tag, not their id: merchants often
 * use their session cookie's value as the id.
 *
 * @module
 */

/** A pino-compatible logger; every method is optional. `console` works too. */
export interface Logger {
  debug?(fields: Record<string, unknown>, message: string): void
  info?(fields: Record<string, unknown>, message: string): void
  warn?(fields: Record<string, unknown>, message: string): void
  error?(fields: Record<string, unknown>, message: string): void
}

/** The level names of {@link Logger}. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** A short, stable, non-reversible-enough tag for a session id (FNV-1a, 32 bits). */
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
