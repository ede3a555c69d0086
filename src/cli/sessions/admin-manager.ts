/**
 * The token manager `inspect` and `logout` go through, so that they read a session exactly as
 * the merchant's backend does and a logout is fenced by version like any other. It is built
 * from the environment, on the command's store, and can never reach Bolt's token endpoint.
 *
 * @module
 */
import type { HttpTransport } from '../../contracts.js'
import { isEncryptedRecord, recordKeyId } from '../../crypto/encryption.js'
import { isBoltTokenError } from '../../errors.js'
import type { ErrorEvent } from '../../manager/lifecycle-events.js'
import { deriveStoreKey } from '../../manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../../manager/token-manager.js'
import {
  ENV,
  type Environment,
  type KeyRing,
  managerSecretsFrom,
  missingKeysMessage,
} from './environment.js'
import { AdminCommandError, EXIT, usageError } from './exit-codes.js'
import type { SessionSource, StoredSession } from './source.js'

/** No request leaves: inspecting or logging out never spends a grant. */
const noBolt: HttpTransport = {
  send: async () => {
    throw new Error('The admin command does not call Bolt.')
  },
}

/** One session, found by id in the command's store. */
export interface FoundSession {
  /** The store it was found in. */
  source: SessionSource
  tokens: TokenManager
  /** The session's store key, fit to print (an HMAC of the id). */
  storeKey: string
  stored: StoredSession
  /** Failures the manager reported while reading (`RECORD_UNREADABLE`). */
  errors: ErrorEvent[]
}

/**
 * Finds `sessionId` in `source` and returns a token manager on it.
 *
 * @throws {AdminCommandError} `UNKNOWN_SESSION` when the store has no record for it; `USAGE`
 *   when the secrets or keys it needs are missing from the environment.
 */
export async function findSession(
  source: SessionSource,
  env: Environment,
  ring: KeyRing | undefined,
  sessionId: string,
  clock: () => number,
): Promise<FoundSession> {
  const secrets = managerSecretsFrom(env)
  let tokens: TokenManager
  try {
    tokens = createTokenManager({
      ...secrets,
      store: source.store,
      http: noBolt,
      clock,
      ...(ring === undefined ? {} : { encryption: ring.options }),
      // The record's ID token was received from Bolt's token endpoint; reading its email needs
      // no request. Its issuer and times are still checked.
      identity: { verifySignature: false },
      tracer: false,
    })
  } catch (error) {
    if (!isBoltTokenError(error, 'INVALID_ARGUMENT')) throw error
    const option = /`([^`]+)`/.exec(error.message)?.[1]
    const variable =
      option === 'storeKeySecret'
        ? ENV.storeKeySecret
        : option === 'baseUrl'
          ? ENV.baseUrl
          : ENV.encryption
    throw usageError(`${variable}: ${error.message.replace(/^createTokenManager: /, '')}`)
  }
  const storeKey = deriveStoreKey(secrets.storeKeySecret ?? secrets.clientSecret, sessionId)
  const stored = await source.read(storeKey)
  if (stored === undefined) {
    throw new AdminCommandError(
      EXIT.UNKNOWN_SESSION,
      `No session with this id in ${source.description}. If it should exist, check the prefix or table, and that ${ENV.storeKeySecret} (or ${ENV.apiKey}, when your token manager sets no storeKeySecret) is the secret your token manager derives store keys from.`,
    )
  }
  if (isEncryptedRecord(stored.value) && ring === undefined) {
    throw usageError(missingKeysMessage(recordKeyId(stored.value)))
  }
  const errors: ErrorEvent[] = []
  tokens.subscribe((event) => {
    if (event.type === 'error') errors.push(event)
  })
  return { source, tokens, storeKey, stored, errors }
}
