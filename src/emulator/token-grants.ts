import type { Account } from './accounts.js'
import type { EmulatorClock } from './clock.js'
import { errorReply, jsonReply, type Reply } from './http.js'
import { signIdToken } from './id-token.js'
import { randomId, randomToken } from './random-id.js'
import { type BoltScope, formatScopes } from './scopes.js'
import { secureEqual } from './secure-compare.js'
import type { EmulatorStats } from './types.js'

/** What the token authority needs from the emulator around it. */
export interface TokenAuthorityConfig {
  clock: EmulatorClock
  /** Counters updated in place. */
  stats: EmulatorStats
  clientId: string
  clientSecret: string
  /** The `iss` of ID tokens: the emulator's base URL, known once it listens. */
  issuer: () => string
  accessTokenTtlSeconds: number
  codeTtlSeconds: number
  refreshGraceMs: number
}

/** What a valid access token lets its bearer do. */
export interface AccessGrant {
  accountId: string
  scopes: ReadonlySet<BoltScope>
}

/**
 * Bolt's authorization server, minus HTTP: codes, token families, rotation
 * and reuse detection. Each method answers with the token endpoint's reply.
 */
export interface TokenAuthority {
  /** Issues a single-use authorization code, as the login modal does. */
  issueCode(input: { account: Account; scopes: ReadonlySet<BoltScope>; state?: string }): string
  /** The `authorization_code` grant; starts a new token family. */
  exchangeCode(input: {
    code: string
    state: string | undefined
    scopes: ReadonlySet<BoltScope>
  }): Reply
  /** The `refresh_token` grant: rotates the refresh token and issues a view-only access token. */
  refresh(input: { refreshToken: string; scopes: ReadonlySet<BoltScope> }): Reply
  /** The grant behind a live access token, or `undefined` if unknown, revoked or expired. */
  authenticate(accessToken: string): AccessGrant | undefined
  /** Revokes the family of an access or refresh token; `false` if the token is unknown. */
  revokeFamilyOf(token: string): boolean
}

/** The token response body, in the field order of Bolt's docs. */
interface TokenResponse {
  access_token: string
  expires_in: number
  id_token?: string
  refresh_token: string
  refresh_token_scope: 'bolt.account.view'
  scope: string
  token_type: 'bearer'
}

interface CodeRecord {
  account: Account
  scopes: ReadonlySet<BoltScope>
  state: string | undefined
  expiresAt: number
  used: boolean
  /** The family the code started, so a replay can revoke it (RFC 6749 §4.1.2). */
  familyId: string | undefined
}

/** One login session: everything issued from one code, through every rotation. */
interface Family {
  account: Account
  revoked: boolean
}

interface AccessRecord {
  familyId: string
  scopes: ReadonlySet<BoltScope>
  expiresAt: number
}

interface RefreshRecord {
  familyId: string
  spent: { at: number; successor: TokenResponse } | undefined
}

const VIEW_ONLY: ReadonlySet<BoltScope> = new Set(['bolt.account.view'])
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** Creates an empty {@link TokenAuthority}. */
export function createTokenAuthority(config: TokenAuthorityConfig): TokenAuthority {
  const { clock, stats } = config
  const codes = new Map<string, CodeRecord>()
  const families = new Map<string, Family>()
  const accessTokens = new Map<string, AccessRecord>()
  const refreshTokens = new Map<string, RefreshRecord>()

  function invalidGrant(description: string): Reply {
    stats.invalidGrants += 1
    return errorReply(400, 'invalid_grant', description, NO_STORE)
  }

  function isRevoked(familyId: string): boolean {
    return families.get(familyId)?.revoked ?? true
  }

  function revoke(familyId: string): void {
    const family = families.get(familyId)
    if (family !== undefined) family.revoked = true
  }

  function issueTokens(
    familyId: string,
    account: Account,
    scopes: ReadonlySet<BoltScope>,
  ): TokenResponse {
    const now = clock.now()
    const accessToken = randomToken('at_')
    const refreshToken = randomToken('rt_')
    const ttl = config.accessTokenTtlSeconds
    const accessScopes = new Set([...scopes].filter((scope) => scope !== 'openid'))
    accessTokens.set(accessToken, { familyId, scopes: accessScopes, expiresAt: now + ttl * 1000 })
    refreshTokens.set(refreshToken, { familyId, spent: undefined })
    const issuedAt = Math.floor(now / 1000)
    const idToken = scopes.has('openid')
      ? signIdToken(
          {
            iss: config.issuer(),
            sub: account.id,
            aud: config.clientId,
            email: account.email,
            iat: issuedAt,
            exp: issuedAt + ttl,
          },
          config.clientSecret,
        )
      : undefined
    return {
      access_token: accessToken,
      expires_in: ttl,
      ...(idToken === undefined ? {} : { id_token: idToken }),
      refresh_token: refreshToken,
      refresh_token_scope: 'bolt.account.view',
      scope: formatScopes(scopes),
      token_type: 'bearer',
    }
  }

  return {
    issueCode({ account, scopes, state }) {
      const code = randomToken('code_')
      codes.set(code, {
        account,
        scopes,
        state,
        expiresAt: clock.now() + config.codeTtlSeconds * 1000,
        used: false,
        familyId: undefined,
      })
      return code
    },

    exchangeCode({ code, state, scopes }) {
      const record = codes.get(code)
      if (record === undefined) return invalidGrant('The authorization code is invalid')
      if (record.used) {
        if (record.familyId !== undefined) revoke(record.familyId)
        return invalidGrant(
          'The authorization code was already used; the tokens issued for it are revoked',
        )
      }
      if (clock.now() >= record.expiresAt) {
        return invalidGrant('The authorization code has expired')
      }
      // A rejected state or scope leaves the code unused: it is the request
      // that is wrong, and the shopper's login is still good.
      if (
        record.state !== undefined &&
        (state === undefined || !secureEqual(state, record.state))
      ) {
        return errorReply(
          400,
          'invalid_request',
          'state does not match the state the authorization code was issued with',
          NO_STORE,
        )
      }
      const notAuthorized = [...scopes].filter((scope) => !record.scopes.has(scope))
      if (notAuthorized.length > 0) {
        return errorReply(
          400,
          'invalid_scope',
          `The shopper did not authorize ${notAuthorized.join(' ')}`,
          NO_STORE,
        )
      }
      const familyId = randomId('fam_')
      families.set(familyId, { account: record.account, revoked: false })
      record.used = true
      record.familyId = familyId
      stats.codeExchanges += 1
      return jsonReply(200, issueTokens(familyId, record.account, scopes), NO_STORE)
    },

    refresh({ refreshToken, scopes }) {
      if (scopes.has('bolt.account.manage')) {
        return errorReply(
          400,
          'invalid_scope',
          'A refresh token only grants bolt.account.view; bolt.account.manage needs a new login',
          NO_STORE,
        )
      }
      if (!scopes.has('bolt.account.view')) {
        return errorReply(
          400,
          'invalid_scope',
          'The refresh_token grant requires scope bolt.account.view',
          NO_STORE,
        )
      }
      const record = refreshTokens.get(refreshToken)
      if (record === undefined) return invalidGrant('The refresh token is invalid')
      if (isRevoked(record.familyId)) return invalidGrant('The refresh token has been revoked')
      const family = families.get(record.familyId) as Family
      const now = clock.now()
      if (record.spent !== undefined) {
        if (config.refreshGraceMs > 0 && now - record.spent.at <= config.refreshGraceMs) {
          stats.graceReissues += 1
          return jsonReply(200, record.spent.successor, NO_STORE)
        }
        revoke(record.familyId)
        stats.reuseDetected += 1
        return invalidGrant(
          'The refresh token was already used; every token of this session is revoked',
        )
      }
      const successor = issueTokens(record.familyId, family.account, VIEW_ONLY)
      record.spent = { at: now, successor }
      stats.refreshes += 1
      return jsonReply(200, successor, NO_STORE)
    },

    authenticate(accessToken) {
      const record = accessTokens.get(accessToken)
      if (record === undefined || isRevoked(record.familyId)) return undefined
      if (clock.now() >= record.expiresAt) return undefined
      const family = families.get(record.familyId) as Family
      return { accountId: family.account.id, scopes: record.scopes }
    },

    revokeFamilyOf(token) {
      const familyId = accessTokens.get(token)?.familyId ?? refreshTokens.get(token)?.familyId
      if (familyId === undefined) return false
      revoke(familyId)
      return true
    },
  }
}
