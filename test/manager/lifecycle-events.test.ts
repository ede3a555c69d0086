/**
 * What subscribe() reports besides transitions: token requests (with their outcome), the
 * downgrade to view-only, the step-up back, lease contention and lease takeovers.
 */
import { expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { faults } from '../../src/emulator/index.js'
import type { LifecycleEvent } from '../../src/manager/lifecycle-events.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { logIn, managerFor, PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

const SESSION = 'shopper-1'

function record(tokens: { subscribe(listener: (event: LifecycleEvent) => void): () => void }) {
  const events: LifecycleEvent[] = []
  tokens.subscribe((event) => events.push(event))
  return events
}

/** The events other than transitions, as `type[:detail]` strings, in order. */
function named(events: LifecycleEvent[]): string[] {
  return events.flatMap((event) => {
    switch (event.type) {
      case 'transition':
        return []
      case 'tokenRequest':
        return [`tokenRequest:${event.grant}:${event.outcome}`]
      case 'leaseTakenOver':
        return [`leaseTakenOver:${event.state}:${event.reason}`]
      case 'error':
        return [`error:${event.error.code}`]
      default:
        return [event.type]
    }
  })
}

it('login, downgrade on refresh, a failed refresh, step-up: each reported once, in order', async () => {
  const bolt = await startEmulator()
  const tokens = managerFor(bolt, createFetchTransport(), { retry: false })
  const events = record(tokens)
  await logIn(bolt, tokens, SESSION)
  bolt.advanceClock(PAST_EXPIRY_MS)
  await tokens.getAccessToken(SESSION)
  bolt.advanceClock(PAST_EXPIRY_MS)
  bolt.injectFault(faults.html(503))
  expect((await rejection(tokens.getAccessToken(SESSION))).code).toBe('SERVER_ERROR')
  await logIn(bolt, tokens, SESSION)

  expect(named(events)).toEqual([
    'tokenRequest:authorization_code:ok',
    'tokenRequest:refresh_token:ok',
    'downgrade',
    'tokenRequest:refresh_token:SERVER_ERROR',
    'tokenRequest:authorization_code:ok',
    'stepUp',
  ])
  for (const event of events) expect(event.sessionId).toBe(SESSION)
  const requests = events.filter((event) => event.type === 'tokenRequest')
  for (const request of requests) expect(request.durationMs).toBeGreaterThan(0)
})

it('a second login on a session that can still manage is not a step-up; a refresh of view-only tokens is not a downgrade', async () => {
  const bolt = await startEmulator()
  const tokens = managerFor(bolt, createFetchTransport())
  const events = record(tokens)
  await logIn(bolt, tokens, SESSION)
  await logIn(bolt, tokens, SESSION)
  bolt.advanceClock(PAST_EXPIRY_MS)
  await tokens.getAccessToken(SESSION)
  bolt.advanceClock(PAST_EXPIRY_MS)
  await tokens.getAccessToken(SESSION)
  expect(named(events)).toEqual([
    'tokenRequest:authorization_code:ok',
    'tokenRequest:authorization_code:ok',
    'tokenRequest:refresh_token:ok',
    'downgrade',
    'tokenRequest:refresh_token:ok',
  ])
})

it('a caller that waits on another instance’s refresh reports the contention; only the holder reports the request', async () => {
  const bolt = await startEmulator()
  const store = createMemoryStore({ clock: bolt.now })
  const gate = createGatedTransport(createFetchTransport())
  const holder = managerFor(bolt, gate, { store })
  const waiter = managerFor(bolt, createFetchTransport(), { store, pollIntervalMs: 20 })
  const holderEvents = record(holder)
  const waiterEvents = record(waiter)
  const login = holder.exchangeCode(SESSION, { code: bolt.login().code })
  ;(await gate.nextRequest()).release()
  await login
  bolt.advanceClock(PAST_EXPIRY_MS)

  const refreshing = holder.getAccessToken(SESSION)
  const held = await gate.nextRequest()
  const waiting = waiter.getAccessToken(SESSION)
  await new Promise((resolve) => setTimeout(resolve, 60))
  held.release()
  const [a, b] = await Promise.all([refreshing, waiting])
  expect(a).toBe(b)

  expect(named(waiterEvents)).toEqual(['leaseContention'])
  const contention = waiterEvents.find((event) => event.type === 'leaseContention')
  expect(contention?.type === 'leaseContention' && contention.waitedMs).toBeGreaterThanOrEqual(40)
  expect(named(holderEvents)).toEqual([
    'tokenRequest:authorization_code:ok',
    'tokenRequest:refresh_token:ok',
    'downgrade',
  ])
  gate.close()
})

it('taking over the lease of an instance that died mid-refresh is reported (reason: expired)', async () => {
  const bolt = await startEmulator({ refreshGraceMs: 60_000 })
  const store = createMemoryStore({ clock: bolt.now })
  const gate = createGatedTransport(createFetchTransport())
  const dying = managerFor(bolt, gate, { store, leaseMs: 20_000, timeoutMs: 10_000 })
  const survivor = managerFor(bolt, createFetchTransport(), { store })
  const events = record(survivor)
  await logIn(bolt, survivor, SESSION)
  bolt.advanceClock(PAST_EXPIRY_MS)
  void dying.getAccessToken(SESSION).catch(() => {})
  await gate.nextRequest()
  bolt.advanceClock(21_000)
  await survivor.getAccessToken(SESSION)
  expect(named(events)).toEqual([
    'tokenRequest:authorization_code:ok',
    'leaseTakenOver:refresh:expired',
    'tokenRequest:refresh_token:ok',
    'downgrade',
  ])
  gate.close()
})

it('a login on an expired session whose token could manage is a step-up too', async () => {
  const bolt = await startEmulator()
  const tokens = managerFor(bolt, createFetchTransport())
  const events = record(tokens)
  await logIn(bolt, tokens, SESSION)
  bolt.advanceClock(PAST_EXPIRY_MS)
  await logIn(bolt, tokens, SESSION)
  expect(named(events)).toEqual([
    'tokenRequest:authorization_code:ok',
    'tokenRequest:authorization_code:ok',
    'stepUp',
  ])
})

it('a listener that throws keeps the event from no other listener and breaks no call', async () => {
  const bolt = await startEmulator()
  const tokens = managerFor(bolt, createFetchTransport())
  tokens.subscribe(() => {
    throw new Error('a broken listener')
  })
  const events = record(tokens)
  await logIn(bolt, tokens, SESSION)
  expect(named(events)).toEqual(['tokenRequest:authorization_code:ok'])
  expect(events.filter((event) => event.type === 'transition')).toHaveLength(2)
})
