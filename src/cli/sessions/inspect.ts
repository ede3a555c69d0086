/**
 * `sessions inspect <sessionId>`: one session as the merchant's backend sees it (state,
 * scopes, expiry, last error code, the shopper's email), read through the token manager.
 * Never a token, never the error's message (it may quote Bolt), never another claim.
 *
 * @module
 */

import { recordKeyId } from '../../crypto/encryption.js'
import { isBoltTokenError } from '../../errors.js'
import type { TokenState } from '../../machine/token-machine.js'
import type { FoundSession } from './admin-manager.js'

/** What `inspect` found. */
export interface SessionInspection {
  command: 'inspect'
  store: string
  /** The session's store key (an HMAC of its id, never the id). */
  storeKey: string
  /** `false`: the record exists but does not open (see `unreadable`); the rest is then empty. */
  readable: boolean
  /** Why it does not open: the manager's `RECORD_UNREADABLE`, with the key id alone. */
  unreadable: { code: 'RECORD_UNREADABLE'; keyId: string | null } | null
  state: TokenState | null
  scopes: string[]
  /** When the access token expires (epoch ms), or `null` without tokens. */
  accessTokenExpiresAt: number | null
  canManage: boolean
  /** The code of the last failed token request, or `null`. */
  lastErrorCode: string | null
  /**
   * The shopper's email from the session's ID token (as received from Bolt's token endpoint;
   * its issuer and times are checked, not its signature), or `null` (none, or it failed a check).
   */
  email: string | null
  emailVerified: boolean | null
  /** Why the ID token gave no email: the code its check failed with, or `null`. */
  identityErrorCode: string | null
  /** The encryption key id the record is stored under; `null` for plaintext. */
  keyId: string | null
  /** How long the store keeps the record (ms), or `null` without expiry. */
  storeTtlMs: number | null
}

/** Reads one session through a token manager on `source`. */
export async function inspectSession(
  { source, tokens, storeKey, stored, errors }: FoundSession,
  sessionId: string,
): Promise<SessionInspection> {
  const status = await tokens.getStatus(sessionId)
  const base = {
    command: 'inspect' as const,
    store: source.description,
    storeKey,
    keyId: recordKeyId(stored.value) ?? null,
    storeTtlMs: stored.ttlMs ?? null,
  }
  const unreadable = errors.find((event) => event.error.code === 'RECORD_UNREADABLE')
  if (unreadable !== undefined) {
    return {
      ...base,
      readable: false,
      unreadable: { code: 'RECORD_UNREADABLE', keyId: base.keyId },
      state: null,
      scopes: [],
      accessTokenExpiresAt: null,
      canManage: false,
      lastErrorCode: null,
      email: null,
      emailVerified: null,
      identityErrorCode: null,
    }
  }
  let email: string | null = null
  let emailVerified: boolean | null = null
  let identityErrorCode: string | null = null
  try {
    const identity = await tokens.getIdentity(sessionId)
    email = identity?.email ?? null
    emailVerified = identity?.email_verified ?? null
  } catch (error) {
    if (!isBoltTokenError(error)) throw error
    identityErrorCode = error.code
  }
  return {
    ...base,
    readable: true,
    unreadable: null,
    state: status.state,
    scopes: status.scopes,
    accessTokenExpiresAt: status.expiresAt,
    canManage: status.canManage,
    lastErrorCode: status.lastError?.code ?? null,
    email,
    emailVerified,
    identityErrorCode,
  }
}
