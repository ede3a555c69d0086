import type { Account } from './accounts.js'
import type { EmulatorClock } from './clock.js'
import { errorReply, jsonReply, type Reply } from './http.js'
import { idTokenClaims, signIdToken } from './id-token.js'
import { randomId, randomToken } from './random-id.js'
import { type BoltScope, formatScopes } from './scopes.js'
import { secureEqual } from './secure-compare.js'
import type { SigningKeyRing } from './signing-keys.js'
import type { EmulatorStats } from './types.js'

/** What the token authority needs from the emulator around it. */
export interface TokenAuthorityConfig {
  clock: EmulatorClock
  /** Counters updated in place. */
  stats: EmulatorStats
  /** The `iss` of ID tokens (by default the emulator's base URL, known once it listens). */
  idTokenIssuer: () => string
  /** Whether ID token headers name the key's `kid`. */
  idTokenKid: boolean
  signingKeys: SigningKeyRing
  accessTokenTtlSeconds: number
  codeTtlSeconds: number
  refreshTokenTtlSeconds: number
  refreshGraceMs: number
  /** Whether reusing a spent refresh token or code revokes its whole family. */
  reuseRevokesFamily: boolean
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
  /**
   * The `authorization_code` grant; starts a new token family. Asynchronous only to sign the
   * ID token: every decision and state change happens before the first `await`.
   */
  exchangeCode(input: {
    code: string
    state: string | undefined
    scopes: ReadonlySet<BoltScope>
  }): Promise<Reply>
  /** The `refresh_token` grant: rotates the refresh token and issues a view-only access token. */
  refresh(input: { refreshToken: string; scopes: ReadonlySet<BoltScope> }): Reply
  /** The grant behind a live access token, or `undefined` if unknown, revoked or expired. */
  authenticate(accessToken: string): AccessGrant | undefined
  /** Revokes the family of an access or refresh token; `false` if the token is unknown. */
  revokeFamilyOf(token: string): boolean
}

/** The token response body, in the field order of Bolt's docs (`id_token` second when present). */
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
  expiresAt: number
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
    return errorReply(422, 'invalid_grant', description, NO_STORE)
  }

  function isRevoked(familyId: string): boolean {
    return families.get(familyId)?.revoked ?? true
  }

  function revoke(familyId: string): void {
    const family = families.get(familyId)
    if (family !== undefined) family.revoked = true
  }

  function issueTokens(familyId: string, scopes: ReadonlySet<BoltScope>): TokenResponse {
    const now = clock.now()
    const accessToken = randomToken('at_')
    const refreshToken = randomToken('rt_')
    const ttl = config.accessTokenTtlSeconds
    const accessScopes = new Set([...scopes].filter((scope) => scope !== 'openid'))
    accessTokens.set(accessToken, { familyId, scopes: accessScopes, expiresAt: now + ttl * 1000 })
    refreshTokens.set(refreshToken, {
      familyId,
      expiresAt: now + config.refreshTokenTtlSeconds * 1000,
      spent: undefined,
    })
    return {
      access_token: accessToken,
      expires_in: ttl,
      refresh_token: refreshToken,
      refresh_token_scope: 'bolt.account.view',
      scope: formatScopes(scopes),
      token_type: 'bearer',
    }
  }

  /** The token response with an ID token, its fields in the order of Bolt's docs. */
  async function withIdToken(tokens: TokenResponse, account: Account): Promise<TokenResponse> {
    const iat = Math.floor(clock.now() / 1000)
    const claims = idTokenClaims(account, config.idTokenIssuer(), iat, config.accessTokenTtlSeconds)
    // The key is read now, before the await: a rotation meanwhile does not change this token.
    const idToken = await signIdToken(claims, config.signingKeys.current(), config.idTokenKid)
    stats.idTokensIssued += 1
    const { access_token, expires_in, ...rest } = tokens
    return { access_token, expires_in, id_token: idToken, ...rest }
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

    async exchangeCode({ code, state, scopes }) {
      const record = codes.get(code)
      if (record === undefined) return invalidGrant('The authorization code is invalid')
      if (record.used) {
        if (!config.reuseRevokesFamily) {
          return invalidGrant('The authorization code was already used')
        }
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
      const tokens = issueTokens(familyId, scopes)
      const body = scopes.has('openid') ? await withIdToken(tokens, record.account) : tokens
      return jsonReply(200, body, NO_STORE)
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
      const now = clock.now()
      if (record.spent !== undefined) {
        if (config.refreshGraceMs > 0 && now - record.spent.at <= config.refreshGraceMs) {
          stats.graceReissues += 1
          return jsonReply(200, record.spent.successor, NO_STORE)
        }
        stats.reuseDetected += 1
        if (!config.reuseRevokesFamily) return invalidGrant('The refresh token was already used')
        revoke(record.familyId)
        return invalidGrant(
          'The refresh token was already used; every token of this session is revoked',
        )
      }
      if (now >= record.expiresAt) return invalidGrant('The refresh token has expired')
      const successor = issueTokens(record.familyId, VIEW_ONLY)
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
