import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isPromiseLike, type TokenStore } from '../../src/contracts.js'

/** A store to check, and what the suite needs around it. */
export interface StoreUnderTest {
  store: TokenStore
  /** A store that must not see `store`'s keys or notifications (another prefix, or another instance). */
  sibling: TokenStore
  /** Lets `ms` pass for TTLs (a fake clock moves, or real time passes). */
  elapse(ms: number): Promise<void>
  close(): Promise<void>
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > giveUp) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

let sequence = 0
const freshKey = () => `session-${Date.now().toString(36)}-${++sequence}`

/**
 * The storage contract, as tests: every {@link TokenStore} runs this from a few-line file.
 * `answers` says how the store's `get` answers: `'sync'` for a store in this process (the
 * valid-token path then costs no promise hop), `'promise'` for one across the network.
 */
export function runTokenStoreConformance(
  name: string,
  create: () => Promise<StoreUnderTest>,
  answers: 'sync' | 'promise',
): void {
  describe(`TokenStore conformance: ${name}`, () => {
    let subject: StoreUnderTest
    let store: TokenStore
    beforeEach(async () => {
      subject = await create()
      store = subject.store
    })
    afterEach(async () => {
      await subject.close()
    })

    it('reads an absent key as undefined', async () => {
      expect(await store.get(freshKey())).toBeUndefined()
    })

    it('creates a key only when expecting version 0, and reads back value and version', async () => {
      const key = freshKey()
      const version = await store.compareAndSet(key, 'first', { expectedVersion: 0, ttlMs: 60_000 })
      expect(version).toBeTypeOf('number')
      expect(version).toBeGreaterThan(0)
      expect(await store.get(key)).toEqual({ value: 'first', version })
      expect(
        await store.compareAndSet(key, 'again', { expectedVersion: 0, ttlMs: 60_000 }),
      ).toBeUndefined()
      expect(await store.get(key)).toEqual({ value: 'first', version })
    })

    it('fences: a write naming a stale version loses and changes nothing; versions only grow', async () => {
      const key = freshKey()
      const v1 =
        (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
      const v2 =
        (await store.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs: 60_000 })) ?? -1
      expect(v2).toBeGreaterThan(v1)
      expect(
        await store.compareAndSet(key, 'stale', { expectedVersion: v1, ttlMs: 60_000 }),
      ).toBeUndefined()
      expect(await store.get(key)).toEqual({ value: 'two', version: v2 })
      const v3 = await store.compareAndSet(key, 'three', { expectedVersion: v2, ttlMs: 60_000 })
      expect(v3).toBeGreaterThan(v2)
    })

    it('concurrent compare-and-sets on one version: exactly one wins', async () => {
      const key = freshKey()
      const base =
        (await store.compareAndSet(key, 'base', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          store.compareAndSet(key, `writer-${index}`, { expectedVersion: base, ttlMs: 60_000 }),
        ),
      )
      const winners = results.flatMap((version, index) =>
        version === undefined ? [] : [{ version, index }],
      )
      expect(winners).toHaveLength(1)
      expect(await store.get(key)).toEqual({
        value: `writer-${winners[0]?.index}`,
        version: winners[0]?.version,
      })
    })

    it('concurrent creates of an absent key: exactly one wins', async () => {
      const key = freshKey()
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          store.compareAndSet(key, `creator-${index}`, { expectedVersion: 0, ttlMs: 60_000 }),
        ),
      )
      expect(results.filter((version) => version !== undefined)).toHaveLength(1)
    })

    it('delete removes the key; an old version cannot write it back, and a new one never repeats a version', async () => {
      const key = freshKey()
      const v1 =
        (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
      await store.delete(key)
      await store.delete(key)
      expect(await store.get(key)).toBeUndefined()
      expect(
        await store.compareAndSet(key, 'late', { expectedVersion: v1, ttlMs: 60_000 }),
      ).toBeUndefined()
      const v2 =
        (await store.compareAndSet(key, 'reborn', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
      expect(v2).not.toBe(v1)
      expect(v2).toBeGreaterThan(v1)
    })

    it(`get answers ${answers === 'sync' ? 'synchronously' : 'with a promise'}, as declared`, async () => {
      const key = freshKey()
      const version = await store.compareAndSet(key, 'read', { expectedVersion: 0, ttlMs: 60_000 })
      for (const answer of [store.get(key), store.get(freshKey())]) {
        expect(isPromiseLike(answer)).toBe(answers === 'promise')
      }
      expect(await store.get(key)).toEqual({ value: 'read', version })
    })

    it('get given a reading of the store clock answers as without it (absent, written, expired)', async () => {
      const clock = store.clock
      const read = (key: string) => store.get(key, clock?.())
      const key = freshKey()
      expect(await read(key)).toBeUndefined()
      const version = await store.compareAndSet(key, 'now', { expectedVersion: 0, ttlMs: 150 })
      expect(await read(key)).toEqual({ value: 'now', version })
      expect(await read(key)).toEqual(await store.get(key))
      await subject.elapse(400)
      expect(await read(key)).toBeUndefined()
      expect(await store.get(key)).toBeUndefined()
    })

    it('a record expires after its TTL and then counts as absent', async () => {
      const key = freshKey()
      const version =
        (await store.compareAndSet(key, 'short', { expectedVersion: 0, ttlMs: 150 })) ?? -1
      expect(await store.get(key)).toEqual({ value: 'short', version })
      await subject.elapse(400)
      expect(await store.get(key)).toBeUndefined()
      expect(
        await store.compareAndSet(key, 'late', { expectedVersion: version, ttlMs: 60_000 }),
      ).toBeUndefined()
      expect(
        await store.compareAndSet(key, 'new', { expectedVersion: 0, ttlMs: 60_000 }),
      ).toBeTypeOf('number')
    })

    it('every write renews the TTL', async () => {
      const key = freshKey()
      const v1 = (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 300 })) ?? -1
      await subject.elapse(200)
      const v2 = (await store.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs: 300 })) ?? -1
      await subject.elapse(200)
      expect(await store.get(key)).toEqual({ value: 'two', version: v2 })
    })

    it('an already-expired TTL (0 or negative) writes a record that reads as absent', async () => {
      for (const ttlMs of [0, -1_000]) {
        const key = freshKey()
        expect(await store.compareAndSet(key, 'gone', { expectedVersion: 0, ttlMs })).toBeTypeOf(
          'number',
        )
        expect(await store.get(key)).toBeUndefined()
        expect(
          await store.compareAndSet(key, 'fresh', { expectedVersion: 0, ttlMs: 60_000 }),
        ).toBeTypeOf('number')
      }
    })

    it('keeps values byte for byte (unicode, quotes, 64 KiB)', async () => {
      const key = freshKey()
      const value = `{"name":"Zoë \\"quoted\\" 🛒","blob":"${'x'.repeat(65_536)}"}`
      const version = await store.compareAndSet(key, value, { expectedVersion: 0, ttlMs: 60_000 })
      expect(await store.get(key)).toEqual({ value, version })
    })

    it('notifies subscribers of writes and deletes once the subscription is ready, and stops after unsubscribe', async () => {
      const key = freshKey()
      let calls = 0
      const unsubscribe = await store.subscribe(key, () => {
        calls++
      })
      const v1 =
        (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
      await eventually(() => calls === 1)
      await store.compareAndSet(key, 'stale', { expectedVersion: v1 + 1_000, ttlMs: 60_000 })
      await store.delete(key)
      await eventually(() => calls === 2)
      unsubscribe()

      // A control subscriber proves the next write was delivered before we look.
      let control = 0
      const stopControl = await store.subscribe(key, () => {
        control++
      })
      await store.compareAndSet(key, 'after', { expectedVersion: 0, ttlMs: 60_000 })
      await eventually(() => control === 1)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(calls).toBe(2)
      stopControl()
    })

    it('does not notify across keys or across isolated stores, and isolated stores do not share keys', async () => {
      const key = freshKey()
      const other = freshKey()
      let sameKeyElsewhere = 0
      let otherKey = 0
      let control = 0
      const stops = await Promise.all([
        subject.sibling.subscribe(key, () => {
          sameKeyElsewhere++
        }),
        store.subscribe(other, () => {
          otherKey++
        }),
        store.subscribe(key, () => {
          control++
        }),
      ])
      await store.compareAndSet(key, 'mine', { expectedVersion: 0, ttlMs: 60_000 })
      await eventually(() => control === 1)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(sameKeyElsewhere).toBe(0)
      expect(otherKey).toBe(0)
      expect(await subject.sibling.get(key)).toBeUndefined()
      expect(
        await subject.sibling.compareAndSet(key, 'theirs', { expectedVersion: 0, ttlMs: 60_000 }),
      ).toBeTypeOf('number')
      expect((await store.get(key))?.value).toBe('mine')
      for (const stop of stops) stop()
    })

    it('several subscribers of one key are all notified, and one leaving does not silence the others', async () => {
      const key = freshKey()
      const counts = [0, 0, 0]
      const stops = await Promise.all(
        counts.map((_, index) =>
          store.subscribe(key, () => {
            counts[index] = (counts[index] ?? 0) + 1
          }),
        ),
      )
      const v1 =
        (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 60_000 })) ?? -1
      await eventually(() => counts.every((count) => count === 1))
      stops[0]?.()
      await store.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs: 60_000 })
      await eventually(() => counts[1] === 2 && counts[2] === 2)
      expect(counts[0]).toBe(1)
      for (const stop of stops.slice(1)) stop()
    })
  })
}
