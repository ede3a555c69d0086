/**
 * What the admin command reads from the environment: the encryption key ring, the secret that
 * turns session ids into store keys, and where Bolt is (for the identity check). Secrets come
 * from the environment rather than the command line, where any user of the machine can read
 * them (`ps`).
 *
 * @module
 */
import type { EncryptionOptions } from '../../crypto/encryption.js'
import { createStoreKeyCipher, type StoreKeyCipher } from '../../crypto/encryption.js'
import { isBoltTokenError } from '../../errors.js'
import { usageError } from './exit-codes.js'

/** The environment variables the command reads, by what they hold. */
export const ENV = {
  /** The `encryption` option of your token manager, as JSON: `{"keys":{…},"current":"…"}`. */
  encryption: 'BOLT_TOKENS_ENCRYPTION',
  /** Your token manager's `storeKeySecret`, when you set one. */
  storeKeySecret: 'BOLT_STORE_KEY_SECRET',
  /** Your Bolt API key (the manager's `clientSecret`): the store-key secret when you set none. */
  apiKey: 'BOLT_API_KEY',
  /** Your Bolt publishable key (the manager's `clientId`), checked against an ID token's `aud`. */
  publishableKey: 'BOLT_PUBLISHABLE_KEY',
  /** Bolt's API base URL your sessions were made with: an ID token's issuer must name it. */
  baseUrl: 'BOLT_BASE_URL',
  /** The Redis URL when `--redis` is given no value on the command line. */
  redisUrl: 'BOLT_REDIS_URL',
  /** The PostgreSQL URL when `--postgres` is given no value on the command line. */
  postgresUrl: 'BOLT_POSTGRES_URL',
} as const

/** The process environment, or a test's. */
export type Environment = Readonly<Record<string, string | undefined>>

function present(env: Environment, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value
}

/**
 * The key ring in {@link ENV.encryption}, or `undefined` when the variable is not set.
 *
 * @throws {AdminCommandError} when it is not the JSON of a valid `encryption` option (the
 *   message names the problem, never a key).
 */
export function encryptionFrom(env: Environment): EncryptionOptions | undefined {
  const text = present(env, ENV.encryption)
  if (text === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw usageError(
      `${ENV.encryption} is not JSON. Give it your token manager's \`encryption\` option as JSON: {"keys":{"2026-11":"<base64 key>","2026-05":"<base64 key>"},"current":"2026-11"}.`,
    )
  }
  const ring = parsed as Partial<EncryptionOptions> | null
  if (typeof ring !== 'object' || ring === null || typeof ring.current !== 'string') {
    throw usageError(
      `${ENV.encryption} must be {"keys":{"<key id>":"<base64 key>",…},"current":"<key id>"}, as your token manager's \`encryption\` option.`,
    )
  }
  return ring as EncryptionOptions
}

/** The key ring of {@link ENV.encryption}: its cipher and the ids of its keys. */
export interface KeyRing {
  cipher: StoreKeyCipher
  keyIds: ReadonlySet<string>
  /** The option as given, for a token manager. */
  options: EncryptionOptions
}

/**
 * The key ring in {@link ENV.encryption}, or `undefined` when it is not set.
 *
 * @throws {AdminCommandError} naming the variable and what is wrong with it.
 */
export function keyRingFrom(env: Environment): KeyRing | undefined {
  const ring = encryptionFrom(env)
  if (ring === undefined) return undefined
  try {
    const cipher = createStoreKeyCipher(ring)
    return { cipher, keyIds: new Set(Object.keys(ring.keys)), options: ring }
  } catch (error) {
    if (!isBoltTokenError(error, 'INVALID_ARGUMENT')) throw error
    throw usageError(
      `${ENV.encryption}: ${error.message.replace('createTokenManager: `encryption` ', '')}`,
    )
  }
}

/** The message for records that need keys when {@link ENV.encryption} is not set. */
export function missingKeysMessage(keyId: string | undefined): string {
  return `The store holds encrypted records${keyId === undefined ? '' : ` (key id '${keyId}')`}, and ${ENV.encryption} is not set. Set it to your token manager's \`encryption\` option as JSON: {"keys":{"<key id>":"<base64 key>",…},"current":"<key id>"}.`
}

/** The secrets a token manager needs to find sessions by id, as the merchant's manager has them. */
export interface ManagerSecrets {
  clientSecret: string
  storeKeySecret?: string
  clientId: string
  baseUrl?: string
}

/**
 * The secrets `inspect` and `logout` need to find a session by its id: the store-key secret
 * ({@link ENV.storeKeySecret}, else the API key, as the manager defaults).
 *
 * @throws {AdminCommandError} naming both variables when neither is set.
 */
export function managerSecretsFrom(env: Environment): ManagerSecrets {
  const storeKeySecret = present(env, ENV.storeKeySecret)
  const apiKey = present(env, ENV.apiKey)
  if (storeKeySecret === undefined && apiKey === undefined) {
    throw usageError(
      `Finding a session by its id needs the secret your token manager derives store keys from: set ${ENV.storeKeySecret} (your \`storeKeySecret\` option) or, if you do not set that option, ${ENV.apiKey} (your \`clientSecret\`).`,
    )
  }
  const baseUrl = present(env, ENV.baseUrl)
  return {
    // The manager requires a client secret; this command never sends one (it talks to no Bolt
    // endpoint), so without the API key a random stand-in does.
    clientSecret: apiKey ?? globalThis.crypto.randomUUID(),
    ...(storeKeySecret === undefined ? {} : { storeKeySecret }),
    clientId: present(env, ENV.publishableKey) ?? 'bolt-token-lifecycle-admin',
    ...(baseUrl === undefined ? {} : { baseUrl }),
  }
}
