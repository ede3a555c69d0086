/**
 * The shopper's identity as Bolt states it in the ID token, and the checks of its claims
 * that do not depend on time: their types, the issuer, and the claims Bolt does not send
 * (`aud`, `azp`, `sub`, `nonce`), checked only when present.
 *
 * Every refusal here is a reason naming a claim, never its value: a refused token's claims
 * must reach no caller, message or log line.
 *
 * @module
 */

/**
 * The claims of the shopper's ID token, as Bolt sends them (times in seconds since the
 * epoch). Bolt's ID tokens carry the profile claims below, `iss`, `iat` and `exp`, and no
 * `sub` or `aud`. Any other claim Bolt adds is kept, readable as `unknown`
 * (`identity['some_claim']`).
 * @group Identity
 */
export interface ShopperIdentity {
  /** The shopper's email address. Link accounts by it only when {@link email_verified} is `true`. */
  readonly email?: string
  /** Whether Bolt verified that the shopper controls {@link email}. */
  readonly email_verified?: boolean
  /** The shopper's first name. */
  readonly first_name?: string
  /** The shopper's last name. */
  readonly last_name?: string
  /** The shopper's phone number (E.164, e.g. `+14155550199`). */
  readonly phone_number?: string
  /** Whether Bolt verified that the shopper controls {@link phone_number}. */
  readonly phone_number_verified?: boolean
  /** The issuer: Bolt's API URL (Bolt writes it with `http://` or `https://`). */
  readonly iss: string
  /** When Bolt issued the ID token (at the login), seconds since the epoch. */
  readonly iat: number
  /** When the ID token expires, seconds since the epoch (see the docs: not the identity's end). */
  readonly exp: number
  /** Not before, seconds since the epoch, when present (Bolt does not send it). */
  readonly nbf?: number
  /** The subject, when present (Bolt does not send it). */
  readonly sub?: string
  /** The audience, when present (Bolt does not send it); it then includes your `clientId`. */
  readonly aud?: string | readonly string[]
  /** The nonce, when present (the library sends none; compare it yourself if you sent one). */
  readonly nonce?: string
  /** Any other claim, as sent. */
  readonly [claim: string]: unknown
}

/** What the claim checks compare against. */
export interface ClaimExpectations {
  /** The issuer (Bolt's discovery document's `issuer`, which is `baseUrl`). */
  issuer: string
  /** The merchant's `client_id`, which `aud` (and `azp`) must name when present. */
  clientId: string
}

const STRING_CLAIMS = ['email', 'first_name', 'last_name', 'phone_number', 'sub', 'nonce', 'azp']
const BOOLEAN_CLAIMS = ['email_verified', 'phone_number_verified']
const TIME_CLAIMS = ['iat', 'exp', 'nbf']

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

/**
 * Checks the claims of an ID token whose signature (if checked) has passed.
 *
 * @returns the frozen identity, or a reason for refusing it (naming claims, never values).
 */
export function checkClaims(
  payload: unknown,
  expected: ClaimExpectations,
): { identity: ShopperIdentity } | { refused: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { refused: 'its payload is not a JSON object' }
  }
  const claims = payload as Record<string, unknown>
  for (const name of STRING_CLAIMS) {
    if (claims[name] !== undefined && typeof claims[name] !== 'string') {
      return { refused: `its \`${name}\` claim is not a string` }
    }
  }
  for (const name of BOOLEAN_CLAIMS) {
    if (claims[name] !== undefined && typeof claims[name] !== 'boolean') {
      return { refused: `its \`${name}\` claim is not a boolean` }
    }
  }
  for (const name of TIME_CLAIMS) {
    if (claims[name] !== undefined && !isTime(claims[name])) {
      return { refused: `its \`${name}\` claim is not a time in seconds` }
    }
  }
  if (claims.iat === undefined || claims.exp === undefined) {
    return { refused: 'it lacks `iat` or `exp`' }
  }
  if (typeof claims.iss !== 'string' || !sameIssuer(claims.iss, expected.issuer)) {
    return { refused: "its `iss` is not Bolt's issuer" }
  }
  const audience = claims.aud
  if (audience !== undefined) {
    const audiences = Array.isArray(audience) ? audience : [audience]
    if (!audiences.every((entry) => typeof entry === 'string')) {
      return { refused: 'its `aud` claim is not a string or a list of strings' }
    }
    if (!audiences.includes(expected.clientId)) {
      return { refused: 'its `aud` does not include this clientId' }
    }
  }
  if (claims.azp !== undefined && claims.azp !== expected.clientId) {
    return { refused: 'its `azp` is not this clientId' }
  }
  return { identity: deepFreeze(structuredClone(claims)) as ShopperIdentity }
}

/**
 * Whether the ID token's `iss` names `issuer`. Only the scheme may differ, `http` against
 * `https`: Bolt's own example token says `http://api.bolt.com` while its discovery document
 * says `https://api.bolt.com`. Host, port and path must be the same (a trailing `/` aside).
 */
export function sameIssuer(iss: string, issuer: string): boolean {
  const claimed = parseHttpUrl(iss)
  const wanted = parseHttpUrl(issuer)
  if (claimed === undefined || wanted === undefined) return false
  return (
    claimed.host === wanted.host &&
    trimSlash(claimed.pathname) === trimSlash(wanted.pathname) &&
    claimed.search === wanted.search &&
    claimed.username === '' &&
    claimed.password === '' &&
    claimed.hash === ''
  )
}

/** `url` without a trailing `/`: the form issuers are compared in. */
export function normalizeIssuer(url: string): string {
  const parsed = parseHttpUrl(url)
  if (parsed === undefined) return url
  return `${parsed.protocol}//${parsed.host}${trimSlash(parsed.pathname)}${parsed.search}`
}

function parseHttpUrl(value: string): URL | undefined {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    return undefined
  }
  return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed : undefined
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
