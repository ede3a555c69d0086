/**
 * Notifications: subscribers hear of writes and deletes of their key once subscribed, and of
 * nothing else; unsubscribing one leaves the others.
 *
 * @module
 */
import { eventually, freshKey, MINUTE_MS, sleep, type Topic } from './suite.js'

const ttlMs = MINUTE_MS
/** How long a notification that should not come is given to come anyway. */
const QUIET_MS = 50

export const notificationTests: Topic = ({ test, expect }) => {
  test('notifies subscribers of writes and deletes once the subscription is ready, and stops after unsubscribe', async ({
    store,
  }) => {
    const key = freshKey()
    let calls = 0
    const unsubscribe = await store.subscribe(key, () => {
      calls++
    })
    const v1 = (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs })) ?? -1
    await eventually(() => calls === 1)
    // A write that loses its compare-and-set changes nothing, and is not a change to hear of.
    await store.compareAndSet(key, 'stale', { expectedVersion: v1 + 1_000, ttlMs })
    await store.delete(key)
    await eventually(() => calls === 2)
    unsubscribe()

    // A control subscriber proves the next write was delivered before we look.
    let control = 0
    const stopControl = await store.subscribe(key, () => {
      control++
    })
    await store.compareAndSet(key, 'after', { expectedVersion: 0, ttlMs })
    await eventually(() => control === 1)
    await sleep(QUIET_MS)
    expect(calls).toBe(2)
    stopControl()
  })

  test('does not notify across keys or across isolated stores, and isolated stores do not share keys', async ({
    store,
    sibling,
  }) => {
    const key = freshKey()
    const other = freshKey()
    let sameKeyElsewhere = 0
    let otherKey = 0
    let control = 0
    const stops = await Promise.all([
      sibling.subscribe(key, () => {
        sameKeyElsewhere++
      }),
      store.subscribe(other, () => {
        otherKey++
      }),
      store.subscribe(key, () => {
        control++
      }),
    ])
    await store.compareAndSet(key, 'mine', { expectedVersion: 0, ttlMs })
    await eventually(() => control === 1)
    await sleep(QUIET_MS)
    expect(sameKeyElsewhere).toBe(0)
    expect(otherKey).toBe(0)
    expect(await sibling.get(key)).toBeUndefined()
    expect(await sibling.compareAndSet(key, 'theirs', { expectedVersion: 0, ttlMs })).toBeTypeOf(
      'number',
    )
    expect((await store.get(key))?.value).toBe('mine')
    for (const stop of stops) stop()
  })

  test('several subscribers of one key are all notified, and one leaving does not silence the others', async ({
    store,
  }) => {
    const key = freshKey()
    const counts = [0, 0, 0]
    const stops = await Promise.all(
      counts.map((_, index) =>
        store.subscribe(key, () => {
          counts[index] = (counts[index] ?? 0) + 1
        }),
      ),
    )
    const v1 = (await store.compareAndSet(key, 'one', { expectedVersion: 0, ttlMs })) ?? -1
    await eventually(() => counts.every((count) => count === 1))
    stops[0]?.()
    await store.compareAndSet(key, 'two', { expectedVersion: v1, ttlMs })
    await eventually(() => counts[1] === 2 && counts[2] === 2)
    expect(counts[0]).toBe(1)
    for (const stop of stops.slice(1)) stop()
  })
}
