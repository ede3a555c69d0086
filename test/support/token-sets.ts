/**
 * Token sets for the pure tests of the machine and of `decide`: a login's (may manage) and a
 * refresh's (view-only), obtained at {@link NOW} and valid for an hour.
 */
import type { TokenSet } from '../../src/machine/token-set.js'
import { Secret } from '../../src/secret.js'

/** The tests' clock reading, epoch ms. */
export const NOW = 1_000_000
/** One hour in ms: an access token's life. */
export const HOUR = 3_600_000

/** What a login gives: `bolt.account.manage` and an ID token. */
export const manageTokens: TokenSet = {
  accessToken: new Secret('at_manage'),
  refreshToken: new Secret('rt_1'),
  idToken: new Secret('id'),
  scopes: ['bolt.account.manage', 'openid'],
  expiresAt: NOW + HOUR,
  obtainedAt: NOW,
}

/** What a refresh gives: view only, a rotated refresh token. */
export const viewTokens: TokenSet = {
  ...manageTokens,
  accessToken: new Secret('at_view'),
  refreshToken: new Secret('rt_2'),
  scopes: ['bolt.account.view'],
}
