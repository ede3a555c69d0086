/**
 * Talks to Bolt's token endpoint: each attempt with a deadline and a cap on the answer's
 * size, mapped to a validated {@link TokenSet} or a {@link BoltTokenError}, retried only as
 * the retry policy (`retry-policy.ts`) allows.
 *
 * @module
 */
import type { HttpTransport } from '../contracts.js'
import { BoltTokenError, isBoltTokenError } from '../errors.js'
import type { TokenSet } from '../machine/token-set.js'
import { startTokenRequestSpan, type TracerLike } from '../telemetry/tracing.js'
import { quoteServerText } from './redact.js'
import { backoffMs, isRetryable, type ResolvedRetryOptions } from './retry-policy.js'
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
  /** One attempt's deadline, in milliseconds: connection, answer and body. */
  timeoutMs: number
  clock: () => number
  retry: ResolvedRetryOptions
  /** For jitter; tests may fix it. @default Math.random */
  random?: () => number
  /** Called before each retry (for logs and events). */
  onRetry?: (attempt: number, error: BoltTokenError, delayMs: number) => void
  /** Called for every answer that asked to wait (`Retry-After` on a 429 or 503), retried or not. */
  onPushback?: (retryAfterMs: number) => void
  /** Where spans go (see {@link resolveTracer}). */
  tracer?: () => Promise<TracerLike | undefined>
}

/** Sends token requests to Bolt. */
export interface TokenEndpoint {
  /**
   * Runs `grant` against Bolt, retrying as {@link isRetryable} allows within `budgetMs`
   * (real milliseconds for all attempts and waits); `previous` fills fields a refresh
   * answer may leave out.
   */
  request(grant: TokenGrant, previous: TokenSet | null, budgetMs: number): Promise<TokenSet>
}

/** The largest token answer we read, in bytes. Real ones are a few kilobytes. */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024

/** Retries only start if at least this much of the budget is left for the attempt. */
const MIN_ATTEMPT_MS = 500

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
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

interface AttemptFailure {
  error: BoltTokenError
  /** The request certainly never reached Bolt. */
  notSent: boolean
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Creates the token endpoint client. */
export function createTokenEndpoint(config: TokenEndpointConfig): TokenEndpoint {
  const origin = new URL(config.baseUrl).origin

  /** One attempt: a token set, or the failure and whether the request certainly was not sent. */
  async function attempt(
    grant: TokenGrant,
    previous: TokenSet | null,
    deadlineMs: number,
    seen: { status?: number | undefined },
  ): Promise<TokenSet | AttemptFailure> {
    const parts = buildTokenRequest(config, grant)
    const secrets = grantSecrets(config, grant)
    // A controller and a timer cleared once the answer is read, rather than
    // AbortSignal.timeout(): that costs about twice as much to create in Node (a transferable
    // signal, a weak reference) and its timer still fires long after the answer came.
    const deadline = new AbortController()
    const { signal } = deadline
    const timer = setTimeout(
      () => deadline.abort(new DOMException('The token request timed out', 'TimeoutError')),
      deadlineMs,
    )
    const sentAt = config.clock()
    const what = grant.grantType === 'authorization_code' ? 'code exchange' : 'refresh'
    let response: Awaited<ReturnType<HttpTransport['send']>>
    try {
      response = await config.http.send({
        method: 'POST',
        ...parts,
        signal,
        maxBodyBytes: MAX_TOKEN_RESPONSE_BYTES,
      })
    } catch (cause) {
      // The transport refused to send (e.g. a ky instance that would send it elsewhere): a
      // configuration error the merchant must fix, and certainly nothing reached Bolt.
      if (isBoltTokenError(cause, 'INVALID_ARGUMENT')) return { error: cause, notSent: true }
      if (signal.aborted) {
        const error = new BoltTokenError(
          'TIMEOUT',
          `Bolt's token endpoint at ${origin} did not answer the ${what} within ${deadlineMs} ms. ` +
            'The server may or may not have processed it; retry later (timeoutMs sets the deadline).',
          { cause },
        )
        return { error, notSent: false }
      }
      if ((cause as { name?: unknown } | null)?.name === 'ResponseTooLargeError') {
        const error = new BoltTokenError(
          'INVALID_RESPONSE',
          `Bolt answered the ${what} with a body over ${MAX_TOKEN_RESPONSE_BYTES} bytes; the read was aborted. ` +
            'Nothing was stored and the previous refresh token was kept; retry later.',
          { cause },
        )
        return { error, notSent: false }
      }
      const failure = quoteServerText(describeFailure(cause), secrets, 160)
      const notSent = notSentCodes.has(innerCodeOf(cause) ?? '')
      const error = new BoltTokenError(
        'NETWORK_ERROR',
        notSent
          ? `Could not reach Bolt's token endpoint at ${origin} for the ${what}: ${failure}. Nothing was sent; check baseUrl and the network, and retry later.`
          : `The ${what} at ${origin} failed without a complete answer: ${failure}. Bolt may or may not have processed it; retry later.`,
        { cause },
      )
      return { error, notSent }
    } finally {
      clearTimeout(timer)
    }
    const context = { grant, previous, sentAt, secrets, url: parts.url }
    seen.status = response.status
    try {
      if (response.status >= 200 && response.status < 300)
        return parseTokenResponse(response, context)
      return { error: errorFromResponse(response, context, config.clock()), notSent: false }
    } catch (error) {
      return { error: error as BoltTokenError, notSent: false }
    }
  }

  return {
    async request(grant, previous, budgetMs) {
      const giveUpAt = performance.now() + budgetMs
      const tracer = config.tracer === undefined ? undefined : await config.tracer()
      const trace = startTokenRequestSpan(tracer, grant.grantType, new URL(origin))
      const seen: { status?: number | undefined } = {}
      for (let attemptNumber = 1; ; attemptNumber++) {
        const left = giveUpAt - performance.now()
        seen.status = undefined
        // Whole milliseconds: the deadline of one attempt.
        const outcome = await attempt(
          grant,
          previous,
          Math.max(1, Math.floor(Math.min(config.timeoutMs, left))),
          seen,
        )
        if (!('error' in outcome)) {
          trace.end({ attempts: attemptNumber, status: seen.status })
          return outcome
        }
        const { error, notSent } = outcome
        if (error.retryAfterMs !== undefined) config.onPushback?.(error.retryAfterMs)
        const giveUp = () => {
          trace.end({ attempts: attemptNumber, status: seen.status, errorCode: error.code })
          return error
        }
        if (attemptNumber >= config.retry.maxAttempts || !isRetryable(error, grant, notSent))
          throw giveUp()
        const delayMs = backoffMs(attemptNumber, error, config.retry, config.random)
        if (giveUpAt - performance.now() - delayMs < MIN_ATTEMPT_MS) throw giveUp()
        config.onRetry?.(attemptNumber, error, delayMs)
        trace.retry(attemptNumber, error.code, delayMs)
        await sleep(delayMs)
      }
    },
  }
}
