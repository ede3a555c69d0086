/**
 * Versions and compare-and-set: creating, fencing, racing, deleting, and values kept intact.
 *
 * @module
 */
import { freshKey, MINUTE_MS, type Topic } from './suite.js'

const ttlMs = MINUTE_MS

export const versionTests: Topic = ({ test, expect }) => {
  test('reads an absent key as undefined', async ({ store }) => {
    expect(await store.get(freshKey())).toBeUndefined()
  })

  test('creates a key only when expecting version 0, and reads back value and version', async ({
    store,
  }) => {
    const key = freshKey()
    const version = await store.compareAndSet(key, 'first', { expectedVersion: 0, ttlMs })
    expect(version).toBeTypeOf('number')
    expect(version).toBeGreaterThan(0)
    expect(await store.get(key)).toEqual({ value: 'first', version })
    expect(await store.compareAndSet(key, 'again', { expectedVersion: 0, ttlMs })).toBeUndefined()
    expect(await store.get(key)).toEqual({ value: 'first', version })
  })

  test('fences: a write naming a stale version loses and changes nothing; versions only grow', async ({
    store,
  }) => {
    const key = freshKey()
    const v1 = (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs })) ?? -1
    const v2 = (await store.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs })) ?? -1
    expect(v2).toBeGreaterThan(v1)
    expect(await store.compareAndSet(key, 'stale', { expectedVersion: v1, ttlMs })).toBeUndefined()
    expect(await store.get(key)).toEqual({ value: 'two', version: v2 })
    const v3 = await store.compareAndSet(key, 'three', { expectedVersion: v2, ttlMs })
    expect(v3).toBeGreaterThan(v2)
  })

  test('concurrent compare-and-sets on one version: exactly one wins', async ({ store }) => {
    const key = freshKey()
    const base = (await store.compareAndSet(key, 'base', { expectedVersion: 0, ttlMs })) ?? -1
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, index) =>
        store.compareAndSet(key, `writer-${index}`, { expectedVersion: base, ttlMs }),
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

  test('concurrent creates of an absent key: exactly one wins', async ({ store }) => {
    const key = freshKey()
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, index) =>
        store.compareAndSet(key, `creator-${index}`, { expectedVersion: 0, ttlMs }),
      ),
    )
    expect(results.filter((version) => version !== undefined)).toHaveLength(1)
  })

  test('delete removes the key; an old version cannot write it back, and a new one never repeats a version', async ({
    store,
  }) => {
    const key = freshKey()
    const v1 = (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs })) ?? -1
    await store.delete(key)
    await store.delete(key)
    expect(await store.get(key)).toBeUndefined()
    expect(await store.compareAndSet(key, 'late', { expectedVersion: v1, ttlMs })).toBeUndefined()
    const v2 = (await store.compareAndSet(key, 'reborn', { expectedVersion: 0, ttlMs })) ?? -1
    expect(v2).not.toBe(v1)
    expect(v2).toBeGreaterThan(v1)
  })

  test('keeps values byte for byte (unicode, quotes, 64 KiB)', async ({ store }) => {
    const key = freshKey()
    const value = `{"name":"Zoë \\"quoted\\" 🛒","blob":"${'x'.repeat(65_536)}"}`
    const version = await store.compareAndSet(key, value, { expectedVersion: 0, ttlMs })
    expect(await store.get(key)).toEqual({ value, version })
  })
}
