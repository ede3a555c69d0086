/**
 * Issue 14, item 1: a logout always writes its tombstone, fenced by version, whatever the
 * instance that runs it can decrypt. Before the fix, an instance that could not read the
 * record took it for an empty session and wrote nothing: the shopper stayed logged in on
 * every instance that could read it.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { logIn, managerFor, startEmulator, storeKey } from '../support/harness.js'
import { rejection } from '../support/rejection.js'

const oldKey = randomBytes(32).toString('base64')
const newKey = randomBytes(32).toString('base64')

describe('a logout on an instance that cannot read the record', () => {
  it('mid key rotation: B (old key only) logs out a session A wrote under the new key', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const http = createFetchTransport()
    // A has the rotated configuration the docs prescribe; B has not been redeployed yet.
    const a = managerFor(bolt, http, {
      store,
      encryption: { keys: { old: oldKey, new: newKey }, current: 'new' },
    })
    const b = managerFor(bolt, http, {
      store,
      encryption: { keys: { old: oldKey }, current: 'old' },
    })
    await logIn(bolt, a, 'shopper')
    const before = await store.get(storeKey(bolt, 'shopper'))
    await b.logout('shopper')
    const after = await store.get(storeKey(bolt, 'shopper'))
    // The tombstone is a new version, written by compare-and-set over the one B read.
    expect(after?.version).toBe((before?.version ?? 0) + 1)
    expect((await rejection(a.getAccessToken('shopper'))).code).toBe('NOT_AUTHENTICATED')
    expect(await a.getStatus('shopper')).toMatchObject({ state: 'unauthenticated' })
    expect(b.errors.map((event) => event.error.code)).toEqual(['RECORD_UNREADABLE'])
  })

  it('while encryption is being turned on: an instance without the option logs out an encrypted session', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const http = createFetchTransport()
    const a = managerFor(bolt, http, {
      store,
      encryption: {
        keys: { k1: newKey },
        current: 'k1',
        acceptPlaintextUntil: bolt.now() + 60_000,
      },
    })
    const b = managerFor(bolt, http, { store })
    await logIn(bolt, a, 'shopper')
    await b.logout('shopper')
    expect((await rejection(a.getAccessToken('shopper'))).code).toBe('NOT_AUTHENTICATED')
    expect(await a.getStatus('shopper')).toMatchObject({ state: 'unauthenticated' })
  })

  it('a second logout of a readable, logged-out session writes nothing', async () => {
    const bolt = await startEmulator()
    const store = createMemoryStore({ clock: bolt.now })
    const a = managerFor(bolt, createFetchTransport(), { store })
    await logIn(bolt, a, 'shopper')
    await a.logout('shopper')
    const tombstone = await store.get(storeKey(bolt, 'shopper'))
    await a.logout('shopper')
    expect((await store.get(storeKey(bolt, 'shopper')))?.version).toBe(tombstone?.version)
  })
})
