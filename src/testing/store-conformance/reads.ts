/**
 * How `get` answers: synchronously or with a promise, as declared, and the same with or
 * without a reading of the store's clock; and how `time` reads that clock.
 *
 * @module
 */
import { isPromiseLike } from '../../contracts.js'
import { freshKey, MINUTE_MS, type Topic } from './suite.js'

export const readTests: Topic = ({ test, expect, options }) => {
  const { answers } = options
  const declared =
    answers === undefined
      ? 'the same way every time'
      : answers === 'sync'
        ? 'synchronously, as declared'
        : 'with a promise, as declared'

  test(`get answers ${declared}`, async ({ store }) => {
    const key = freshKey()
    const version = await store.compareAndSet(key, 'read', {
      expectedVersion: 0,
      ttlMs: MINUTE_MS,
    })
    const kinds = [store.get(key), store.get(freshKey())].map(isPromiseLike)
    for (const kind of kinds) {
      expect(kind).toBe(answers === undefined ? kinds[0] : answers === 'promise')
    }
    expect(await store.get(key)).toEqual({ value: 'read', version })
  })

  test('get given a reading of the store clock answers as without it (absent, written, expired)', async ({
    store,
    elapse,
  }) => {
    const clock = store.clock
    const read = (key: string) => store.get(key, clock?.())
    const key = freshKey()
    expect(await read(key)).toBeUndefined()
    const version = await store.compareAndSet(key, 'now', { expectedVersion: 0, ttlMs: 150 })
    expect(await read(key)).toEqual({ value: 'now', version })
    expect(await read(key)).toEqual(await store.get(key))
    await elapse(400)
    expect(await read(key)).toBeUndefined()
    expect(await store.get(key)).toBeUndefined()
  })

  test("time(), where the store has one, reads the store's clock in epoch ms, moving on", async ({
    store,
  }) => {
    // Stores without it (the memory store has `clock`; Deno KV has neither) pass as they are.
    if (store.time === undefined) return
    const first = await store.time()
    expect(first).toBeTypeOf('number')
    expect(first).toBeGreaterThan(Date.UTC(2020, 0, 1))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await store.time()).toBeGreaterThan(first)
  })
}
