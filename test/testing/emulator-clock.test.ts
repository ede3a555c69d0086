import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { emulatorManagerOptions } from '../../src/emulator/index.js'
import { createTokenManager } from '../../src/manager/token-manager.js'
import { followEmulatorClock } from '../../src/testing/emulator-clock.js'
import { PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'

/** Moves the emulator's clock the way another process would: over HTTP. */
async function advanceOverHttp(url: string, ms: number): Promise<void> {
  const response = await fetch(`${url}/__emulator/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ms }),
  })
  expect(response.status).toBe(200)
}

describe('followEmulatorClock', () => {
  it("keeps a manager on the emulator's time, read over HTTP: an hour moved elsewhere expires the token after sync()", async () => {
    const bolt = await startEmulator()
    const clock = await followEmulatorClock(bolt.url)
    expect(Math.abs(clock.now() - bolt.now())).toBeLessThan(1_000)

    const tokens = createTokenManager({
      ...emulatorManagerOptions(bolt),
      clock: clock.now, // the emulator's time read over HTTP, in place of bolt.now
      store: createMemoryStore({ clock: clock.now }),
      http: createFetchTransport(),
    })
    const { code } = bolt.login()
    await tokens.exchangeCode('s1', { code })
    await advanceOverHttp(bolt.url, PAST_EXPIRY_MS)
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')

    await clock.sync()
    expect(Math.abs(clock.now() - bolt.now())).toBeLessThan(1_000)
    expect((await tokens.getStatus('s1')).state).toBe('expired')
    await tokens.getAccessToken('s1')
    expect((await tokens.getStatus('s1')).state).toBe('viewOnly')
    expect(bolt.stats.refreshes).toBe(1)
  })

  it('with syncEveryMs, sees a move without sync()', async () => {
    const bolt = await startEmulator()
    const clock = await followEmulatorClock(bolt.url, { syncEveryMs: 20 })
    try {
      await advanceOverHttp(bolt.url, PAST_EXPIRY_MS)
      await expect.poll(() => Math.abs(clock.now() - bolt.now()) < 1_000).toBe(true)
    } finally {
      clock.stop()
    }
  })

  it('says so when nothing at the URL answers with a clock', async () => {
    const bolt = await startEmulator()
    await expect(followEmulatorClock(`${bolt.url}/nowhere`)).rejects.toThrow(
      'answered 404 for its clock',
    )
  })
})
