import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { type EmulatorFault, faults } from '../../src/emulator/index.js'
import { isBoltTokenError } from '../../src/errors.js'
import { decodeSessionRecord } from '../../src/manager/session-record.js'
import {
  logIn,
  managerFor,
  PAST_EXPIRY_MS,
  startEmulator,
  storeKey,
  transports,
} from '../support/harness.js'
import { rejection } from '../support/rejection.js'

// refreshAttempts: how many requests a refresh makes before giving up (a 5xx is retried).
const badAnswers: {
  name: string
  fault: () => EmulatorFault
  code: string
  status: number
  refreshAttempts: number
}[] = [
  {
    name: 'a malformed 200',
    fault: () => faults.malformedJson(),
    code: 'INVALID_RESPONSE',
    status: 200,
    refreshAttempts: 1,
  },
  {
    name: 'an HTML 502 page (every attempt)',
    fault: () => faults.html(502),
    code: 'SERVER_ERROR',
    status: 502,
    refreshAttempts: 3,
  },
  {
    name: 'a 200 without access_token',
    fault: () => faults.missingAccessToken(),
    code: 'INVALID_RESPONSE',
    status: 200,
    refreshAttempts: 1,
  },
]

describe.each(transports)('bad answers from Bolt over $name', ({ create }) => {
  for (const { name, fault, code, status, refreshAttempts } of badAnswers) {
    it(`${name} on refresh → ${code}; nothing stored, old refresh token kept, next call refreshes`, async () => {
      const bolt = await startEmulator()
      const store = createMemoryStore({ clock: bolt.now })
      const tokens = managerFor(bolt, create(), { store })
      await logIn(bolt, tokens, 's1')
      const before = decodeSessionRecord((await store.get(storeKey(bolt, 's1')))?.value ?? '')
      bolt.advanceClock(PAST_EXPIRY_MS)
      bolt.injectFault(fault(), { times: refreshAttempts })

      const error = await rejection(tokens.getAccessToken('s1'))
      expect(bolt.stats.tokenRequests).toBe(1 + refreshAttempts)
      expect(isBoltTokenError(error)).toBe(true)
      expect(error.code).toBe(code)
      expect(error.status).toBe(status)
      const text = `${error.message} ${JSON.stringify(error)} ${inspect(error)}`
      expect(text).not.toContain(before?.context.tokens?.refreshToken)
      expect(text).not.toContain(bolt.clientSecret)

      const after = decodeSessionRecord((await store.get(storeKey(bolt, 's1')))?.value ?? '')
      expect(after?.value).toBe('expired')
      expect(after?.context.tokens).toEqual(before?.context.tokens)
      expect(after?.context.lease).toBeNull()
      expect(after?.context.lastError?.code).toBe(code)

      const token = await tokens.getAccessToken('s1')
      expect(token.startsWith('at_')).toBe(true)
      expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
      expect(bolt.stats).toEqual(expect.objectContaining({ refreshes: 1, reuseDetected: 0 }))
    })

    it(`${name} on code exchange → ${code}; nothing stored`, async () => {
      const bolt = await startEmulator()
      const tokens = managerFor(bolt, create())
      bolt.injectFault(fault())
      const error = await rejection(tokens.exchangeCode('s1', { code: bolt.login().code }))
      expect(error.code).toBe(code)
      const status = await tokens.getStatus('s1')
      expect(status).toEqual(
        expect.objectContaining({ state: 'unauthenticated', scopes: [], expiresAt: null }),
      )
      expect(status.lastError?.code).toBe(code)
    })
  }

  it('one 502 on refresh is retried, and the shopper never notices', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault(faults.html(502))

    const token = await tokens.getAccessToken('s1')

    expect(token.startsWith('at_')).toBe(true)
    expect(
      bolt.requests.filter((r) => r.grantType === 'refresh_token').map((r) => r.status),
    ).toEqual([502, 200])
    expect(bolt.stats).toEqual(expect.objectContaining({ refreshes: 1, reuseDetected: 0 }))
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
  })

  it('a 502 on code exchange is not retried: the code may have been used', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    bolt.injectFault(faults.html(502))
    const error = await rejection(tokens.exchangeCode('s1', { code: bolt.login().code }))
    expect(error.code).toBe('SERVER_ERROR')
    expect(bolt.stats.tokenRequests).toBe(1)
  })

  it('a failed step-up keeps the view-only session', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create())
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    const viewToken = await tokens.getAccessToken('s1')
    bolt.injectFault(faults.html(504))

    const error = await rejection(tokens.exchangeCode('s1', { code: bolt.login().code }))

    expect(error.code).toBe('SERVER_ERROR')
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    expect(await tokens.getAccessToken('s1')).toBe(viewToken)
  })

  it('no answer within timeoutMs → TIMEOUT, and the session is kept', async () => {
    const bolt = await startEmulator()
    const tokens = managerFor(bolt, create(), { timeoutMs: 100 })
    await logIn(bolt, tokens, 's1')
    bolt.advanceClock(PAST_EXPIRY_MS)
    bolt.injectFault({ type: 'delay', ms: 400 })

    const error = await rejection(tokens.getAccessToken('s1'))

    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toContain('100 ms')
    expect((await tokens.getStatus('s1')).state).toBe('expired')
  })

  it('nobody listening → NETWORK_ERROR naming the address, not the secret', async () => {
    const bolt = await startEmulator()
    const deadUrl = bolt.url
    await bolt.close()
    const tokens = managerFor(bolt, create(), { baseUrl: deadUrl })
    const error = await rejection(tokens.exchangeCode('s1', { code: 'code_never_sent' }))
    expect(error.code).toBe('NETWORK_ERROR')
    expect(error.message).toContain(deadUrl)
    expect(error.message).toContain('ECONNREFUSED')
    expect(`${error.message}${inspect(error, { depth: 10 })}`).not.toContain('code_never_sent')
  })
})
