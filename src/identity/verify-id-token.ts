/**
 * The ID token's signature, checked with `jose` against the keys Bolt publishes (the JWKS
 * named by its discovery document), or, with the signature check off, only decoded.
 *
 * Only RS256 is accepted, Bolt's algorithm: `none` and HMAC (`HS256`, the key-confusion
 * attack that uses the public key as an HMAC secret) never reach a key. The keys are cached;
 * a token signed by a key not in the cache fetches the JWKS again at most once a minute
 * (jose's cooldown), so forged tokens cannot make the library hammer Bolt.
 *
 * @module
 */
import {
  type CompactVerifyResult,
  compactVerify,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  type RemoteJWKSet,
} from 'jose'
import type { BoltTokenError } from '../errors.js'
import { fetchDiscovery } from './discovery.js'
import { idTokenInvalid, keysBadAnswer, keysTimeout, keysUnreachable } from './identity-errors.js'

/** Bolt signs its ID tokens with RS256, and nothing else is accepted. */
export const ID_TOKEN_ALGORITHMS = ['RS256']

/** How long after a successful fetch an unknown key may fetch the JWKS again (jose's cooldown). */
export const JWKS_COOLDOWN_MS = 60_000

/** How long the discovery document is used before it is fetched again. */
const DISCOVERY_MAX_AGE_MS = 24 * 3_600_000

/** Checks an ID token's signature; resolves its payload (not yet checked as claims). */
export type SignatureCheck = (idToken: string) => Promise<unknown>

/**
 * Creates the signature check for ID tokens issued by `baseUrl`: discovery, then jose's
 * remote JWKS with `fetch`, each request under `timeoutMs`.
 *
 * @throws {BoltTokenError} `ID_TOKEN_INVALID` when the token is refused; `NETWORK_ERROR`,
 *   `TIMEOUT`, `SERVER_ERROR` or `INVALID_RESPONSE` when the keys cannot be had.
 */
export function createSignatureCheck(baseUrl: string, timeoutMs: number): SignatureCheck {
  let keys: { jwks: RemoteJWKSet; jwksUri: URL; at: number } | undefined
  let pending: Promise<{ jwks: RemoteJWKSet; jwksUri: URL }> | undefined

  async function discover(): Promise<{ jwks: RemoteJWKSet; jwksUri: URL }> {
    if (keys !== undefined && Date.now() - keys.at < DISCOVERY_MAX_AGE_MS) return keys
    pending ??= fetchDiscovery(baseUrl, timeoutMs)
      .then(({ jwksUri }) => {
        keys = {
          jwksUri,
          at: Date.now(),
          jwks: createRemoteJWKSet(jwksUri, {
            timeoutDuration: timeoutMs,
            cooldownDuration: JWKS_COOLDOWN_MS,
            // Looked up per call, so that instrumentation patching globalThis.fetch applies.
            [customFetch]: (url, init) => globalThis.fetch(url, init),
          }),
        }
        return keys
      })
      .finally(() => {
        pending = undefined
      })
    return pending
  }

  return async (idToken) => {
    const { jwks, jwksUri } = await discover()
    let result: CompactVerifyResult
    try {
      result = await verifyWithAnyKey(idToken, jwks)
    } catch (error) {
      throw asIdentityError(error, jwksUri, timeoutMs)
    }
    return parsePayload(result.payload)
  }
}

/** Decodes an ID token's payload without checking its signature (`verifySignature: false`). */
export function decodeWithoutSignature(idToken: string): unknown {
  try {
    return decodeJwt(idToken)
  } catch {
    throw idTokenInvalid('it is not a well-formed JWT')
  }
}

async function verifyWithAnyKey(idToken: string, jwks: RemoteJWKSet) {
  try {
    return await verifyWithCachedKeys(idToken, jwks)
  } catch (error) {
    // A token without `kid` signed by a key newer than the cached JWKS fails as a bad
    // signature, not as an unknown key, so jose does not fetch again: fetch here, under the
    // same once-a-minute cooldown.
    if (!(error instanceof errors.JWSSignatureVerificationFailed) || jwks.coolingDown) throw error
    await jwks.reload()
    return await verifyWithCachedKeys(idToken, jwks)
  }
}

async function verifyWithCachedKeys(idToken: string, jwks: RemoteJWKSet) {
  const options = { algorithms: ID_TOKEN_ALGORITHMS }
  try {
    return await compactVerify(idToken, jwks, options)
  } catch (error) {
    // Bolt's tokens have no `kid`: while Bolt publishes two RSA keys (a rotation), each is tried.
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error
    for await (const key of error) {
      try {
        return await compactVerify(idToken, key, options)
      } catch {
        // the next key may be the one
      }
    }
    throw new errors.JWSSignatureVerificationFailed()
  }
}

function parsePayload(payload: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
  } catch {
    throw idTokenInvalid('its payload is not JSON')
  }
}

const REASONS: Record<string, string> = {
  ERR_JOSE_ALG_NOT_ALLOWED: `its algorithm is not ${ID_TOKEN_ALGORITHMS.join(' or ')}`,
  ERR_JOSE_NOT_SUPPORTED: 'its algorithm or key is not supported',
  ERR_JWS_INVALID: 'it is not a well-formed signed JWT',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'its signature does not verify',
  ERR_JWKS_NO_MATCHING_KEY: "it is signed by a key that is not in Bolt's JWKS",
}

function asIdentityError(error: unknown, jwksUri: URL, timeoutMs: number): BoltTokenError {
  const what = `Bolt's JWKS (${jwksUri.origin}${jwksUri.pathname})`
  if (!(error instanceof errors.JOSEError)) return keysUnreachable(what, error)
  if (error instanceof errors.JWKSTimeout) return keysTimeout(what, timeoutMs, error)
  if (error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC') {
    return keysBadAnswer(what, 'did not answer with a JSON Web Key Set (status 200, JSON)')
  }
  // No jose error is kept as a cause of a refusal: the reason is all the caller needs, and a
  // cause might one day carry a part of the refused token.
  return idTokenInvalid(REASONS[error.code] ?? 'it does not verify')
}
