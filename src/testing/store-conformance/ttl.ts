/**
 * Time to live: a record expires and then counts as absent, every write renews it, and an
 * already-expired TTL writes a record that reads as absent.
 *
 * @module
 */
import { freshKey, MINUTE_MS, type Topic } from './suite.js'

export const ttlTests: Topic = ({ test, expect }) => {
  test('a record expires after its TTL and then counts as absent', async ({ store, elapse }) => {
    const key = freshKey()
    const version =
      (await store.compareAndSet(key, 'short', { expectedVersion: 0, ttlMs: 150 })) ?? -1
    expect(await store.get(key)).toEqual({ value: 'short', version })
    await elapse(400)
    expect(await store.get(key)).toBeUndefined()
    expect(
      await store.compareAndSet(key, 'late', { expectedVersion: version, ttlMs: MINUTE_MS }),
    ).toBeUndefined()
    expect(
      await store.compareAndSet(key, 'new', { expectedVersion: 0, ttlMs: MINUTE_MS }),
    ).toBeTypeOf('number')
  })

  test('every write renews the TTL', async ({ store, elapse }) => {
    const key = freshKey()
    const v1 = (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs: 300 })) ?? -1
    await elapse(200)
    const v2 = (await store.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs: 300 })) ?? -1
    await elapse(200)
    expect(await store.get(key)).toEqual({ value: 'two', version: v2 })
  })

  test('an already-expired TTL (0 or negative) writes a record that reads as absent', async ({
    store,
  }) => {
    for (const ttlMs of [0, -1_000]) {
      const key = freshKey()
      expect(await store.compareAndSet(key, 'gone', { expectedVersion: 0, ttlMs })).toBeTypeOf(
        'number',
      )
      expect(await store.get(key)).toBeUndefined()
      expect(
        await store.compareAndSet(key, 'fresh', { expectedVersion: 0, ttlMs: MINUTE_MS }),
      ).toBeTypeOf('number')
    }
  })
}
