/**
 * The exit codes of `bolt-token-lifecycle sessions`, and the one error type that carries them:
 * every failure a merchant can act on ends the command with a message saying what to do and
 * one of these codes, so that scripts can tell them apart.
 *
 * @module
 */

/**
 * What `bolt-token-lifecycle sessions` exits with.
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** `inspect` or `logout`: no session with this id under this prefix or table. */
  UNKNOWN_SESSION: 1,
  /** A bad argument, or a missing or malformed environment variable: nothing was done. */
  USAGE: 2,
  /**
   * The store could not be reached or refused (URL, credentials, table), or failed mid-run.
   * Nothing was overwritten: every write names the version it read.
   */
  STORE_UNAVAILABLE: 3,
  /**
   * Done, but some records could not be read: under a key the key ring lacks, failing their
   * check, or bound to a session id (`enc1`). Do not remove an old key while this is the answer.
   */
  UNREADABLE_RECORDS: 4,
  /** `reencrypt` stopped at `--limit` with its checkpoint saved: run it again with `--resume`. */
  STOPPED_AT_LIMIT: 5,
  /** Anything else: a bug. The message says what happened; please report it. */
  FAILED: 6,
  /** `reencrypt` was interrupted (Ctrl-C) with its checkpoint saved: run it again with `--resume`. */
  INTERRUPTED: 130,
} as const

/**
 * One of {@link EXIT}'s codes.
 */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/**
 * A failure of the admin command the merchant can act on: its message says what to change, and
 * it never holds a token, a key, a secret or a session id.
 */
export class AdminCommandError extends Error {
  override readonly name = 'AdminCommandError'
  readonly exitCode: ExitCode
  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.exitCode = exitCode
  }
}

/** A bad argument or environment variable. */
export function usageError(message: string): AdminCommandError {
  return new AdminCommandError(EXIT.USAGE, message)
}
