/**
 * The examples' error mapping for Bolt's own Account API refusals (`ACCOUNT_API_ERROR`): by
 * Bolt's status, never "show the login modal" (a scope refusal is SCOPE_REQUIRED instead).
 */
import { BoltAccountError, BoltTokenError } from 'bolt-token-lifecycle'
import { describe, expect, it } from 'vitest'
import { errorForLog, errorResponse } from '../../examples/shared/http-errors.js'

const refusal = (status: number, message = 'said Bolt', retryAfterMs?: number) =>
  new BoltAccountError(`Bolt's Account API answered ${status}.`, {
    status,
    errors: [{ code: 2001005, message }],
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })

describe('errorResponse for ACCOUNT_API_ERROR', () => {
  it.each([
    [422, { status: 400, body: { error: 'BAD_REQUEST', message: 'said Bolt' } }],
    [400, { status: 400, body: { error: 'BAD_REQUEST', message: 'said Bolt' } }],
    [404, { status: 404, body: { error: 'NOT_FOUND' } }],
    [403, { status: 403, body: { error: 'FORBIDDEN' } }],
    [409, { status: 500, body: { error: 'INTERNAL_ERROR' } }],
  ])('Bolt’s %i', (status, expected) => {
    expect(errorResponse(refusal(status))).toEqual({ ...expected, headers: {} })
  })

  it('Bolt’s 429 and 5xx: 503 with Retry-After (Bolt’s, else the default)', () => {
    expect(errorResponse(refusal(429, '', 30_000))).toMatchObject({
      status: 503,
      headers: { 'retry-after': '30' },
    })
    expect(errorResponse(refusal(502))).toMatchObject({
      status: 503,
      body: { error: 'TEMPORARILY_UNAVAILABLE', action: 'retry_later' },
    })
  })

  it('a 422 without a message from Bolt: a constant one', () => {
    const bare = new BoltAccountError('x', { status: 422, errors: [] })
    expect(errorResponse(bare).body).toEqual({
      error: 'BAD_REQUEST',
      message: 'Bolt rejected the request.',
    })
  })

  it('logs Bolt’s codes with the error', () => {
    expect(errorForLog(refusal(502))).toMatchObject({
      name: 'BoltTokenError',
      code: 'ACCOUNT_API_ERROR',
      status: 502,
      errors: [{ code: 2001005, message: 'said Bolt' }],
    })
  })

  it('SCOPE_REQUIRED still asks for the login modal', () => {
    const scope = new BoltTokenError('SCOPE_REQUIRED', 'view-only', { status: 403 })
    expect(errorResponse(scope)).toMatchObject({
      status: 403,
      body: { error: 'SCOPE_REQUIRED', action: 'show_login_modal' },
    })
  })
})
