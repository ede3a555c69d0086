/**
 * Optional OpenTelemetry spans around Bolt token requests. The core does not depend on
 * `@opentelemetry/api`: it uses the tracer you pass, or the API's global tracer when the
 * package is installed (an optional peer), or nothing. Spans carry the grant, the outcome,
 * the HTTP status and the number of attempts; never a token, a code or a key.
 *
 * @module
 */
import { loadOpenTelemetryApi } from './otel-api.js'

/**
 * The part of an OpenTelemetry `Span` this library uses.
 * @group Observability
 */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown
  setStatus(status: { code: number; message?: string }): unknown
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown
  end(): void
}

/**
 * The part of an OpenTelemetry `Tracer` this library uses (`trace.getTracer(…)` fits).
 * @group Observability
 */
export interface TracerLike {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Record<string, string | number | boolean> },
  ): SpanLike
}

/** The `tracer` option: a tracer, `false` for none, or `undefined` to use the global one if any. */
export type TracerOption = TracerLike | false | undefined

// OpenTelemetry's SpanKind.CLIENT and SpanStatusCode.OK / ERROR.
const SPAN_KIND_CLIENT = 2
const STATUS_OK = 1
const STATUS_ERROR = 2

/** The name of the span around one token request (retries included). */
export const TOKEN_REQUEST_SPAN = 'bolt.oauth.token'

let globalTracer: Promise<TracerLike | undefined> | undefined

function loadGlobalTracer(): Promise<TracerLike | undefined> {
  globalTracer ??= loadOpenTelemetryApi().then(
    (api) => api?.trace?.getTracer('bolt-token-lifecycle') as TracerLike | undefined,
  )
  return globalTracer
}

/** Resolves the `tracer` option: the given tracer, none, or the global one when installed. */
export function resolveTracer(option: TracerOption): () => Promise<TracerLike | undefined> {
  if (option === false) return () => Promise.resolve(undefined)
  if (option !== undefined) return () => Promise.resolve(option)
  return loadGlobalTracer
}

/** What a traced token request reports on its span. */
export interface TokenRequestTrace {
  /** Records a retry after a failed attempt. */
  retry(attempt: number, code: string, delayMs: number): void
  /** Ends the span with the outcome. */
  end(outcome: {
    attempts: number
    status?: number | undefined
    errorCode?: string | undefined
  }): void
}

const NO_TRACE: TokenRequestTrace = { retry() {}, end() {} }

/** Starts the span of one token request, or a no-op when there is no tracer. */
export function startTokenRequestSpan(
  tracer: TracerLike | undefined,
  grantType: string,
  server: URL,
): TokenRequestTrace {
  if (tracer === undefined) return NO_TRACE
  let span: SpanLike
  try {
    span = tracer.startSpan(TOKEN_REQUEST_SPAN, {
      kind: SPAN_KIND_CLIENT,
      attributes: {
        'bolt.oauth.grant_type': grantType,
        'http.request.method': 'POST',
        'server.address': server.hostname,
        'server.port': Number(server.port || (server.protocol === 'https:' ? 443 : 80)),
      },
    })
  } catch {
    return NO_TRACE
  }
  return {
    retry(attempt, code, delayMs) {
      try {
        span.addEvent('retry', {
          'bolt.attempt': attempt,
          'bolt.error.code': code,
          'bolt.retry.delay_ms': delayMs,
        })
      } catch {
        // tracing is best effort
      }
    },
    end({ attempts, status, errorCode }) {
      try {
        span.setAttribute('bolt.oauth.attempts', attempts)
        if (status !== undefined) span.setAttribute('http.response.status_code', status)
        if (errorCode === undefined) {
          span.setStatus({ code: STATUS_OK })
        } else {
          span.setAttribute('bolt.error.code', errorCode)
          span.setStatus({ code: STATUS_ERROR, message: errorCode })
        }
        span.end()
      } catch {
        // tracing is best effort
      }
    },
  }
}
