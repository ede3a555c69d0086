/**
 * Drives the Bolt emulator the way a lifecycle test needs: log a shopper in, let an hour
 * pass, make the next token request fail in a named way, revoke a session at Bolt.
 *
 * @module
 */
import { type BoltEmulator, faults, type LoginOptions } from '../emulator/index.js'
import { rejectPromiseArguments } from '../promise-argument.js'

/**
 * Ways the next token request can fail.
 * @group Testing
 */
export type TokenFailure =
  /** 500 with an OAuth `server_error` body. */
  | 'server-error'
  /** A gateway's HTML 502 page. */
  | 'bad-gateway'
  /** 200 with a truncated JSON body. */
  | 'malformed'
  /** 429 with `Retry-After: 30`. */
  | 'rate-limited'
  /** The connection is dropped before Bolt processes the request. */
  | 'connection-lost'
  /** Bolt rotates the refresh token, then the connection drops: the answer is lost. */
  | 'answer-lost'

/**
 * What {@link createBoltTestHelpers} returns.
 * @group Testing
 */
export interface BoltTestHelpers {
  /**
   * Stands in for the login modal: a fresh single-use code (with `state` if given; the
   * shopper's profile fields, e.g. `firstName`, are applied to the account and its ID token).
   */
  login(options?: LoginOptions): string
  /** Moves the emulator clock past the access tokens' hour (61 minutes). */
  expireAccessTokens(): void
  /** Makes the next token request fail as named. */
  failNextTokenRequest(failure: TokenFailure): void
  /** Revokes at Bolt the whole family of a token (as if the shopper signed out everywhere). */
  revoke(token: string): void
}

/**
 * Test helpers around a running emulator.
 * @group Testing
 */
export function createBoltTestHelpers(bolt: BoltEmulator): BoltTestHelpers {
  rejectPromiseArguments('createBoltTestHelpers', { bolt }, (message) => new TypeError(message))
  return {
    login: (options = {}) => bolt.login(options).code,
    expireAccessTokens: () => bolt.advanceClock(61 * 60_000),
    failNextTokenRequest(failure) {
      switch (failure) {
        case 'server-error':
          bolt.injectFault(faults.serverError(500))
          return
        case 'bad-gateway':
          bolt.injectFault(faults.html(502))
          return
        case 'malformed':
          bolt.injectFault(faults.malformedJson())
          return
        case 'rate-limited':
          bolt.injectFault(faults.rateLimited('30'))
          return
        case 'connection-lost':
          bolt.injectFault({ type: 'drop', when: 'before' })
          return
        case 'answer-lost':
          bolt.injectFault({ type: 'drop', when: 'after' })
          return
      }
    },
    revoke: (token) => bolt.revokeSession(token),
  }
}
