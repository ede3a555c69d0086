/**
 * The token set a session holds, and the pure questions asked of it: may it manage the
 * account, and is the access token still usable at a given moment.
 *
 * @module
 */
import { Secret } from '../secret.js'

/**
 * Scope of an access token that may change the shopper's account (one hour, after a login).
 * @group Token manager
 */
export const SCOPE_MANAGE = 'bolt.account.manage'
/**
 * Scope of an access token that may only read the shopper's account (what a refresh gives).
 * @group Token manager
 */
export const SCOPE_VIEW = 'bolt.account.view'
/**
 * OpenID Connect scope: asks Bolt for an `id_token`.
 * @group Token manager
 */
export const SCOPE_OPENID = 'openid'

/**
 * The scope a code exchange asks for unless told otherwise.
 * @group Machine
 */
export const DEFAULT_EXCHANGE_SCOPE = `${SCOPE_MANAGE} ${SCOPE_OPENID}`
/**
 * The scope a refresh asks for: Bolt's refresh tokens only ever grant view.
 * @group Machine
 */
export const REFRESH_SCOPE = SCOPE_VIEW

/**
 * The tokens Bolt issued for one shopper session, as the library holds them in memory.
 * @group Machine
 */
export interface TokenSet {
  /** Bearer token for the Bolt Account API. */
  accessToken: Secret
  /** Single-use: Bolt rotates it on every refresh. */
  refreshToken: Secret
  /** OpenID Connect id token (JWT), from a code exchange that asked for `openid`. */
  idToken?: Secret
  /**
   * When the session received `idToken` (epoch ms): its `exp` is checked as of then, since a
   * refresh keeps the login's ID token long after it expired.
   */
  idTokenReceivedAt?: number
  /** Scopes granted to `accessToken`. */
  scopes: string[]
  /** When `accessToken` expires, in epoch milliseconds. */
  expiresAt: number
  /** When this set was obtained, in epoch milliseconds. */
  obtainedAt: number
}

/**
 * A {@link TokenSet} as stored: the same fields, the tokens as plain strings.
 * @group Machine
 */
export interface StoredTokenSet {
  accessToken: string
  refreshToken: string
  idToken?: string
  idTokenReceivedAt?: number
  scopes: string[]
  expiresAt: number
  obtainedAt: number
}

/** The stored form of a token set (tokens revealed for the store, or its encryption). */
export function toStoredTokenSet(tokens: TokenSet): StoredTokenSet {
  return {
    accessToken: tokens.accessToken.reveal(),
    refreshToken: tokens.refreshToken.reveal(),
    ...(tokens.idToken === undefined ? {} : { idToken: tokens.idToken.reveal() }),
    ...(tokens.idTokenReceivedAt === undefined
      ? {}
      : { idTokenReceivedAt: tokens.idTokenReceivedAt }),
    scopes: tokens.scopes,
    expiresAt: tokens.expiresAt,
    obtainedAt: tokens.obtainedAt,
  }
}

/** The in-memory form of a stored token set: tokens wrapped in {@link Secret}. */
export function fromStoredTokenSet(stored: StoredTokenSet): TokenSet {
  return {
    accessToken: new Secret(stored.accessToken),
    refreshToken: new Secret(stored.refreshToken),
    ...(stored.idToken === undefined ? {} : { idToken: new Secret(stored.idToken) }),
    ...(stored.idTokenReceivedAt === undefined
      ? {}
      : { idTokenReceivedAt: stored.idTokenReceivedAt }),
    scopes: stored.scopes,
    expiresAt: stored.expiresAt,
    obtainedAt: stored.obtainedAt,
  }
}

/**
 * Splits a scope string (space-separated; a literal `+` also separates, as in Bolt's guide).
 * @group Machine
 */
export function parseScopes(scope: string): string[] {
  return scope.split(/[\s+]+/).filter((part) => part.length > 0)
}

/**
 * Whether the access token may manage the account (`bolt.account.manage`).
 * @group Machine
 */
export function canManage(tokens: Pick<TokenSet, 'scopes'>): boolean {
  return tokens.scopes.includes(SCOPE_MANAGE)
}

/**
 * Whether the access token is still usable at `now`: it must have more than `skewMs`
 * left, so that it does not expire on its way to Bolt.
 * @group Machine
 */
export function isAccessTokenFresh(
  tokens: Pick<TokenSet, 'expiresAt'>,
  now: number,
  skewMs: number,
): boolean {
  return now < tokens.expiresAt - skewMs
}
