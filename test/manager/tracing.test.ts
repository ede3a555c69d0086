/**
 * OpenTelemetry spans around token requests: through the `tracer` option, and through the
 * global tracer of the real `@opentelemetry/api` package when one is registered.
 */
import { trace } from '@opentelemetry/api'
import { afterEach, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import type { HttpTransport } from '../../src/contracts.js'
import { faults } from '../../src/emulator/index.js'
import type { SpanLike, TracerLike } from '../../src/telemetry/tracing.js'
import { managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

interface RecordedSpan {
  name: string
  kind: number | undefined
  attributes: Record<string, string | number | boolean>
  events: { name: string; attributes?: Record<string, string | number | boolean> }[]
  status?: { code: number; message?: string }
  ended: boolean
}

/** A tracer that keeps what it is given, shaped like OpenTelemetry's. */
function recordingTracer(): TracerLike & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = []
  return {
    spans,
    startSpan(name, options = {}) {
      const span: RecordedSpan = {
        name,
        kind: options.kind,
        attributes: { ...options.attributes },
        events: [],
        ended: false,
      }
      spans.push(span)
      const handle: SpanLike = {
        setAttribute: (key, value) => {
          span.attributes[key] = value
        },
        setStatus: (status) => {
          span.status = status
        },
        addEvent: (eventName, attributes) => {
          span.events.push({ name: eventName, ...(attributes ? { attributes } : {}) })
        },
        end: () => {
          span.ended = true
        },
      }
      return handle
    },
  }
}

afterEach(() => {
  trace.disable()
})

it('one client span per token request, retries as events, status and attempts; no secret in any span', async () => {
  const bolt = await startEmulator()
  const tracer = recordingTracer()
  // Every token Bolt hands out on this path (access, refresh and id tokens), to scan for.
  const issuedTokens: string[] = []
  const inner = createFetchTransport()
  const http: HttpTransport = {
    async send(request) {
      const response = await inner.send(request)
      for (const match of response.body.matchAll(/"(?:access|refresh|id)_token":"([^"]+)"/g))
        issuedTokens.push(match[1] ?? '')
      return response
    },
  }
  const tokens = managerFor(bolt, http, { tracer })
  const code = bolt.login().code
  await tokens.exchangeCode('s1', { code })
  bolt.advanceClock(PAST_EXPIRY_MS)
  bolt.injectFault(faults.html(502))
  const refreshed = await tokens.getAccessToken('s1')

  expect(tracer.spans.map((span) => [span.name, span.attributes['bolt.oauth.grant_type']])).toEqual(
    [
      ['bolt.oauth.token', 'authorization_code'],
      ['bolt.oauth.token', 'refresh_token'],
    ],
  )
  const [exchange, refresh] = tracer.spans
  expect(exchange).toMatchObject({
    kind: 2,
    ended: true,
    status: { code: 1 },
    attributes: {
      'http.request.method': 'POST',
      'server.address': new URL(bolt.url).hostname,
      'server.port': Number(new URL(bolt.url).port),
      'http.response.status_code': 200,
      'bolt.oauth.attempts': 1,
    },
    events: [],
  })
  expect(refresh).toMatchObject({
    ended: true,
    status: { code: 1 },
    attributes: { 'http.response.status_code': 200, 'bolt.oauth.attempts': 2 },
    events: [
      { name: 'retry', attributes: { 'bolt.attempt': 1, 'bolt.error.code': 'SERVER_ERROR' } },
    ],
  })
  const printed = JSON.stringify(tracer.spans)
  expect(issuedTokens.length).toBeGreaterThanOrEqual(5)
  for (const secret of [code, refreshed, bolt.clientSecret, ...issuedTokens])
    expect(printed).not.toContain(secret)
})

it('a refused refresh ends its span with an error status naming the code', async () => {
  const bolt = await startEmulator()
  const tracer = recordingTracer()
  const tokens = managerFor(bolt, createFetchTransport(), { tracer })
  await tokens.exchangeCode('s1', { code: bolt.login().code })
  bolt.revokeSession(await tokens.getAccessToken('s1'))
  bolt.advanceClock(PAST_EXPIRY_MS)
  expect((await rejection(tokens.getAccessToken('s1'))).code).toBe('INVALID_GRANT')
  expect(tracer.spans[1]).toMatchObject({
    ended: true,
    status: { code: 2, message: 'INVALID_GRANT' },
    attributes: {
      'bolt.oauth.grant_type': 'refresh_token',
      'http.response.status_code': 422,
      'bolt.error.code': 'INVALID_GRANT',
      'bolt.oauth.attempts': 1,
    },
  })
})

it('without the option, spans go to the global tracer of @opentelemetry/api; tracer: false turns them off', async () => {
  const bolt = await startEmulator()
  const tracer = recordingTracer()
  trace.setGlobalTracerProvider({ getTracer: () => tracer as never })
  const traced = managerFor(bolt, createFetchTransport())
  await traced.exchangeCode('s1', { code: bolt.login().code })
  const silent = managerFor(bolt, createFetchTransport(), { tracer: false })
  await silent.exchangeCode('s2', { code: bolt.login().code })
  expect(tracer.spans).toHaveLength(1)
  expect(tracer.spans[0]?.attributes['bolt.oauth.grant_type']).toBe('authorization_code')
})

it('a tracer that is not one is refused at construction', () => {
  expect(() =>
    managerFor(
      { clientId: 'c', clientSecret: 's', url: 'http://127.0.0.1:1', now: Date.now } as never,
      createFetchTransport(),
      {
        tracer: {} as never,
      },
    ),
  ).toThrow(/`tracer` must be an OpenTelemetry tracer/)
})
