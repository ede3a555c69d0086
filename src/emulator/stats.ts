import { tokenHash } from './token-hash.js'
import type { EmulatorStats, RecordedTokenRequest } from './types.js'

/** A fresh set of counters, all zero. */
export function zeroStats(): EmulatorStats {
  return {
    tokenRequests: 0,
    codeExchanges: 0,
    refreshes: 0,
    graceReissues: 0,
    reuseDetected: 0,
    invalidGrants: 0,
    invalidClients: 0,
    idTokensIssued: 0,
    accountReads: 0,
    accountWrites: 0,
    idempotentReplays: 0,
    jwksRequests: 0,
    rateLimited: 0,
  }
}

/** The log of token-endpoint requests, in arrival order. */
export interface RequestLog {
  /** Records a request as it arrives; set `status` on the returned entry once answered. */
  record(entry: Omit<RecordedTokenRequest, 'status'>): RecordedTokenRequest
  /** Copies of every entry, so callers cannot rewrite history. */
  snapshot(): RecordedTokenRequest[]
  /** Forgets every entry. */
  clear(): void
}

/** Creates an empty {@link RequestLog}. */
export function createRequestLog(): RequestLog {
  let entries: RecordedTokenRequest[] = []
  return {
    record(entry) {
      const recorded: RecordedTokenRequest = { ...entry, status: 0 }
      entries.push(recorded)
      return recorded
    },
    snapshot: () => entries.map((entry) => ({ ...entry })),
    clear() {
      entries = []
    },
  }
}

/**
 * What the log keeps of a token request: its path, and of its body the grant type, the scope, whether a `state`
 * came along, and the hash of the refresh token presented (so tests can prove no refresh token
 * was presented twice). Never the token itself: with a grace window, a spent refresh token
 * still buys live tokens, and the log is readable over HTTP.
 */
export function describeTokenRequest(
  path: string,
  body: string,
  at: number,
): Omit<RecordedTokenRequest, 'status'> {
  const form = new URLSearchParams(body)
  const refreshToken = form.get('refresh_token')
  const scopes = form.getAll('scope')
  return {
    path,
    grantType: form.get('grant_type') ?? '',
    // A repeated `scope` (one of Bolt's forms) is recorded as its values joined by spaces.
    scope: scopes.length === 0 ? undefined : scopes.join(' '),
    hasState: form.has('state'),
    ...(refreshToken === null ? {} : { refreshTokenHash: tokenHash(refreshToken) }),
    at,
  }
}
