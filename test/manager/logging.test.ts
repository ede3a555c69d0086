import { inspect } from 'node:util'
import { expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { faults } from '../../src/emulator/index.js'
import { sessionTag } from '../../src/manager/logger.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

it('the logger option gets transitions, retries and failures, and never a token, a code, the API key or the raw session id', async () => {
  const bolt = await startEmulator()
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = []
  const logger = Object.fromEntries(
    (['debug', 'info', 'warn', 'error'] as const).map((level) => [
      level,
      (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message }),
    ]),
  )
  const secrets = new Set<string>([bolt.clientSecret])
  const inner = createFetchTransport()
  const tokens = managerFor(
    bolt,
    {
      async send(request) {
        for (const [, value] of new URLSearchParams(request.body ?? ''))
          if (value.length > 20) secrets.add(value)
        const response = await inner.send(request)
        for (const match of response.body.matchAll(/"(?:access|refresh|id)_token":"([^"]+)"/g))
          secrets.add(match[1] ?? '')
        return response
      },
    },
    { logger },
  )
  const sessionId = 'cookie-session-0f9e8d7c6b5a'

  await logIn(bolt, tokens, sessionId)
  bolt.advanceClock(PAST_EXPIRY_MS)
  bolt.injectFault(faults.html(502))
  await tokens.getAccessToken(sessionId)
  const wrongKey = managerFor(bolt, createFetchTransport(), {
    logger,
    clientSecret: 'sk_wrong_but_secret_value',
  })
  secrets.add('sk_wrong_but_secret_value')
  expect(
    (await rejection(wrongKey.exchangeCode(sessionId, { code: bolt.login().code }))).code,
  ).toBe('INVALID_CLIENT')

  expect(
    lines
      .filter((line) => line.message === 'transition')
      .map((line) => `${line.fields.from}>${line.fields.to}`),
  ).toEqual([
    'unauthenticated>codeExchange',
    'codeExchange>fullyScoped',
    'fullyScoped>expired',
    'expired>refresh',
    'refresh>viewOnly',
    // The second manager has a store of its own: its failed login starts from nothing.
    'unauthenticated>codeExchange',
    'codeExchange>unauthenticated',
  ])
  expect(lines.find((line) => line.message === 'retrying a token request')?.fields).toEqual(
    expect.objectContaining({
      lib: 'bolt-token-lifecycle',
      attempt: 1,
      code: 'SERVER_ERROR',
      status: 502,
    }),
  )
  expect(
    lines
      .filter((line) => line.message.startsWith('token request'))
      .map((line) => `${line.level} ${line.fields.grant} ${line.fields.outcome}`),
  ).toEqual([
    'info authorization_code ok',
    // The 502 was retried inside the one request.
    'info refresh_token ok',
    'warn authorization_code INVALID_CLIENT',
  ])
  expect(lines.filter((line) => line.message.startsWith('downgrade')).map((l) => l.level)).toEqual([
    'info',
  ])
  expect(
    lines.every(
      (line) => line.fields.session === undefined || line.fields.session === sessionTag(sessionId),
    ),
  ).toBe(true)
  const printed = `${JSON.stringify(lines)}\n${inspect(lines, { depth: 10 })}`
  expect(printed).not.toContain(sessionId)
  expect(secrets.size).toBeGreaterThan(5)
  for (const secret of secrets) expect(printed).not.toContain(secret)
})
