/** The options every framework example's `createApp` takes. */
import type { TokenManager } from 'bolt-token-lifecycle'
import type { ErrorLogEntry } from './http-errors.js'
import type { Sessions } from './sessions.js'

export interface AppOptions {
  /** The token manager (`createTokenManager(…)`), one per process. */
  tokens: TokenManager
  /** Bolt's API base URL, for the Account API: the `baseUrl` given to the token manager. */
  boltBaseUrl: string
  /** The session helper. @default createSessions() */
  sessions?: Sessions
  /** Where 5xx failures are logged (secret-free). @default one JSON line on stderr */
  log?: (entry: ErrorLogEntry) => void
}

/** The default `log`: one JSON line per failure on stderr. */
export function logToStderr(entry: ErrorLogEntry): void {
  console.error(JSON.stringify(entry))
}
