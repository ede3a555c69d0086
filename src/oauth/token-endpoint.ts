/**
 * Talks to Bolt's token endpoint: one request per call, with a deadline, mapped to a
 * validated {@link TokenSet} or a {@link BoltTokenError}. No retries here: whether a
 * request may be repeated is the interpreter's decision.
 *
 * @module
 */
import type { HttpTransport } from '../contracts.js'
import { BoltTokenError } from '../errors.js'
import type { TokenSet } from '../machine/token-set.js'
import { excerpt, redactSecrets } from './redact.js'
import {
  buildTokenRequest,
  type ClientCredentials,
  grantSecrets,
  type TokenGrant,
} from './token-request.js'
import { errorFromResponse, parseTokenResponse } from './token-response.js'

/** Everything a token endpoint client needs. */
export interface TokenEndpointConfig extends ClientCredentials {
  http: HttpTransport
  /** One request's deadline, in milliseconds: connection, answer and body. */
  timeoutMs: number
  clock: () => number
}

/** Sends token requests to Bolt. */
export interface TokenEndpoint {
  /** Runs `grant` against Bolt; `previous` fills fields a refresh answer may leave out. */
  request(grant: TokenGrant, previous: TokenSet | null): Promise<TokenSet>
}

function innerCodeOf(cause: unknown): string | undefined {
  const inner = (cause as { cause?: unknown } | null)?.cause
  const code = (inner as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

function describeFailure(cause: unknown): string {
  if (!(cause instanceof Error)) return 'unknown failure'
  const innerCode = innerCodeOf(cause)
  return innerCode === undefined ? cause.message : `${cause.message} (${innerCode})`
}

/** Failures in which the request certainly never reached Bolt. */
const notSent = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** Creates the token endpoint client. */
export function createTokenEndpoint(config: TokenEndpointConfig): TokenEndpoint {
  const origin = new URL(config.baseUrl).origin
  return {
    async request(grant, previous) {
      const parts = buildTokenRequest(config, grant)
      const secrets = grantSecrets(config, grant)
      const signal = AbortSignal.timeout(config.timeoutMs)
      const sentAt = config.clock()
      let response: Awaited<ReturnType<HttpTransport['send']>>
      try {
        response = await config.http.send({ method: 'POST', ...parts, signal })
      } catch (cause) {
        const what = grant.grantType === 'authorization_code' ? 'code exchange' : 'refresh'
        if (signal.aborted) {
          throw new BoltTokenError(
            'TIMEOUT',
            `Bolt's token endpoint at ${origin} did not answer the ${what} within ${config.timeoutMs} ms. ` +
              'The server may or may not have processed it; retry later (timeoutMs sets the deadline).',
            { cause },
          )
        }
        const failure = excerpt(redactSecrets(describeFailure(cause), secrets), 160)
        throw new BoltTokenError(
          'NETWORK_ERROR',
          notSent.has(innerCodeOf(cause) ?? '')
            ? `Could not reach Bolt's token endpoint at ${origin} for the ${what}: ${failure}. Nothing was sent; check baseUrl and the network, and retry later.`
            : `The ${what} at ${origin} failed without a complete answer: ${failure}. Bolt may or may not have processed it; retry later.`,
          { cause },
        )
      }
      const context = { grant, previous, sentAt, secrets }
      if (response.status >= 200 && response.status < 300) {
        return parseTokenResponse(response, context)
      }
      throw errorFromResponse(response, context, config.clock())
    },
  }
}
