// The Deno KV store's own behaviour on @deno/kv (SQLite on a temp file), beyond the
// conformance suite: expiry judged by the entry's own expiresAt, the versionstamp check
// against a second handle, how waiters wake (watch, poll), large records and close().
import { describe, expect, it } from 'vitest'
import {
  createDenoKvStore,
  type DenoKvAtomic,
  type DenoKvLike,
} from '../../adapters/storage/deno-kv.js'
import { openTestKv, randomKvPrefix, tempKvPath } from '../support/deno-kv.js'

const MINUTE_MS = 60_000
const path = tempKvPath()
const handles = Promise.all([openTestKv(path), openTestKv(path)])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > giveUp) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(5)
  }
}

/**
 * `kv`, whose next commit first runs `before` (once): another writer slipping in between the
 * store's read and its commit. The engine is the real one; only the timing is arranged.
 */
function slippingIn(kv: DenoKvLike, before: () => Promise<unknown>): DenoKvLike {
  let pending: (() => Promise<unknown>) | undefined = before
  return {
    get: (key) => kv.get(key),
    getMany: (keys) => kv.getMany(keys),
    atomic() {
      const operation = kv.atomic()
      const wrapped: DenoKvAtomic = {
        check(...checks) {
          operation.check(...checks)
          return wrapped
        },
        set(key, value, options) {
          operation.set(key, value, options)
          return wrapped
        },
        delete(key) {
          operation.delete(key)
          return wrapped
        },
        async commit() {
          const run = pending
          pending = undefined
          await run?.()
          return operation.commit()
        },
      }
      return wrapped
    },
  }
}

describe('Deno KV store on @deno/kv (a local SQLite file)', () => {
  it('an entry past its expiresAt reads as absent while Deno KV still holds it, and only a create replaces it', async () => {
    const [kv] = await handles
    let now = Date.now()
    const prefix = randomKvPrefix()
    const store = createDenoKvStore(kv, { prefix, clock: () => now })
    const v1 = (await store.compareAndSet('k', 'short', { expectedVersion: 0, ttlMs: 1_000 })) ?? -1
    expect(await store.get('k')).toEqual({ value: 'short', version: v1 })
    now += 1_000
    expect(await store.get('k')).toBeUndefined()
    // Deno KV deletes it lazily (expireIn): the entry is still there, with the deadline we wrote.
    const raw = await kv.get<Uint8Array>([prefix, 'k'])
    expect(raw.versionstamp).not.toBeNull()
    expect(new TextDecoder().decode(raw.value ?? undefined)).toBe(`bolt1 - ${now} 0\nshort`)
    expect(await store.compareAndSet('k', 'late', { expectedVersion: v1, ttlMs: MINUTE_MS })).toBe(
      undefined,
    )
    const v2 =
      (await store.compareAndSet('k', 'new', { expectedVersion: 0, ttlMs: MINUTE_MS })) ?? -1
    expect(v2).toBeGreaterThan(v1)
    expect(await store.get('k')).toEqual({ value: 'new', version: v2 })
    await store.close()
  })

  it('versions grow by one per write from the creating commit’s sequence', async () => {
    const [kv] = await handles
    const prefix = randomKvPrefix()
    const store = createDenoKvStore(kv, { prefix })
    const v1 =
      (await store.compareAndSet('k', 'one', { expectedVersion: 0, ttlMs: MINUTE_MS })) ?? -1
    const raw = await kv.get([prefix, 'k'])
    expect(v1).toBe(Number.parseInt((raw.versionstamp ?? '').slice(0, 16), 16))
    expect(await store.compareAndSet('k', 'two', { expectedVersion: v1, ttlMs: MINUTE_MS })).toBe(
      v1 + 1,
    )
    expect(
      await store.compareAndSet('k', 'three', { expectedVersion: v1 + 1, ttlMs: MINUTE_MS }),
    ).toBe(v1 + 2)
    await store.close()
  })

  it('a write by another handle between the read and the commit fails the versionstamp check: the compare-and-set answers undefined', async () => {
    const [kv, other] = await handles
    const prefix = randomKvPrefix()
    const theirs = createDenoKvStore(other, { prefix })
    const v1 =
      (await theirs.compareAndSet('k', 'one', { expectedVersion: 0, ttlMs: MINUTE_MS })) ?? -1
    const mine = createDenoKvStore(
      slippingIn(kv, () =>
        theirs.compareAndSet('k', 'theirs', { expectedVersion: v1, ttlMs: MINUTE_MS }),
      ),
      { prefix },
    )
    expect(await mine.compareAndSet('k', 'mine', { expectedVersion: v1, ttlMs: MINUTE_MS })).toBe(
      undefined,
    )
    expect(await mine.get('k')).toEqual({ value: 'theirs', version: v1 + 1 })
    await Promise.all([mine.close(), theirs.close()])
  })

  it('two creates racing across handles: the one that commits second loses', async () => {
    const [kv, other] = await handles
    const prefix = randomKvPrefix()
    const theirs = createDenoKvStore(other, { prefix })
    let created: number | undefined
    const mine = createDenoKvStore(
      slippingIn(kv, async () => {
        created = await theirs.compareAndSet('k', 'theirs', {
          expectedVersion: 0,
          ttlMs: MINUTE_MS,
        })
      }),
      { prefix },
    )
    expect(await mine.compareAndSet('k', 'mine', { expectedVersion: 0, ttlMs: MINUTE_MS })).toBe(
      undefined,
    )
    expect(created).toBeTypeOf('number')
    expect(await mine.get('k')).toEqual({ value: 'theirs', version: created })
    await Promise.all([mine.close(), theirs.close()])
  })

  it('a lost check where the key is still absent (an expired entry deleted in between) reads again and wins', async () => {
    const [kv, other] = await handles
    const prefix = randomKvPrefix()
    let now = Date.now()
    const clock = () => now
    const theirs = createDenoKvStore(other, { prefix, clock })
    await theirs.compareAndSet('k', 'old', { expectedVersion: 0, ttlMs: 1_000 })
    now += 2_000
    const mine = createDenoKvStore(
      slippingIn(kv, () => theirs.delete('k')),
      { prefix, clock },
    )
    const version = await mine.compareAndSet('k', 'mine', { expectedVersion: 0, ttlMs: MINUTE_MS })
    expect(version).toBeTypeOf('number')
    expect(await theirs.get('k')).toEqual({ value: 'mine', version })
    await Promise.all([mine.close(), theirs.close()])
  })

  it('kv.watch alone (watch: true, no poll) wakes a subscriber on a write through another handle of this process', async () => {
    const [kv, other] = await handles
    const prefix = randomKvPrefix()
    // Asked for: on @deno/kv's local handles the store does not watch by default (a watch
    // of theirs cannot be stopped while it waits; this one is left to the file's teardown).
    const watching = createDenoKvStore(kv, { prefix, watch: true, pollIntervalMs: false })
    const writer = createDenoKvStore(other, { prefix })
    let calls = 0
    const stop = await watching.subscribe('k', () => {
      calls++
    })
    const started = performance.now()
    await writer.compareAndSet('k', 'one', { expectedVersion: 0, ttlMs: MINUTE_MS })
    await eventually(() => calls === 1)
    expect(performance.now() - started).toBeLessThan(1_000)
    await writer.delete('k')
    await eventually(() => calls === 2)
    stop()
    await Promise.all([watching.close(), writer.close()])
  })

  it('the poll alone (the default on @deno/kv’s local handles) wakes a subscriber within its interval', async () => {
    const [kv, other] = await handles
    const prefix = randomKvPrefix()
    const polling = createDenoKvStore(kv, { prefix, pollIntervalMs: 50 })
    const writer = createDenoKvStore(other, { prefix })
    let calls = 0
    const stop = await polling.subscribe('k', () => {
      calls++
    })
    await writer.compareAndSet('k', 'one', { expectedVersion: 0, ttlMs: MINUTE_MS })
    await eventually(() => calls === 1, 500)
    await sleep(150)
    expect(calls).toBe(1)
    stop()
    await Promise.all([polling.close(), writer.close()])
  })

  it('close() stops the watches and the poll; the handle stays open', async () => {
    const [kv] = await handles
    const prefix = randomKvPrefix()
    const store = createDenoKvStore(kv, { prefix, pollIntervalMs: 20 })
    let calls = 0
    await store.subscribe('k', () => {
      calls++
    })
    await store.close()
    await createDenoKvStore(kv, { prefix }).compareAndSet('k', 'after', {
      expectedVersion: 0,
      ttlMs: MINUTE_MS,
    })
    await sleep(100)
    expect(calls).toBe(0)
    expect((await kv.get([prefix, 'k'])).versionstamp).not.toBeNull()
    await expect(store.subscribe('k', () => {})).rejects.toThrow('the Deno KV store is closed')
  })

  it('a record above 64 KiB is kept in parts; shrinking it removes them; above 540 000 bytes it is refused without its content', async () => {
    const [kv] = await handles
    const prefix = randomKvPrefix()
    const store = createDenoKvStore(kv, { prefix })
    const big = `🛒${'y'.repeat(130_000)}`
    const v1 = (await store.compareAndSet('k', big, { expectedVersion: 0, ttlMs: MINUTE_MS })) ?? -1
    const parts = await kv.getMany([1, 2, 3, 4].map((part) => [prefix, 'k', part]))
    expect(parts.map((part) => (part.value as Uint8Array | null)?.length ?? null)).toEqual([
      60_000,
      60_000,
      10_004,
      null,
    ])
    expect(await store.get('k')).toEqual({ value: big, version: v1 })
    await store.compareAndSet('k', 'small', { expectedVersion: v1, ttlMs: MINUTE_MS })
    const after = await kv.getMany([1, 2, 3].map((part) => [prefix, 'k', part]))
    expect(after.map((part) => part.versionstamp)).toEqual([null, null, null])
    expect(await store.get('k')).toEqual({ value: 'small', version: v1 + 1 })
    const huge = `secret-${'z'.repeat(600_000)}`
    const refused = await store
      .compareAndSet('k', huge, { expectedVersion: v1 + 1, ttlMs: MINUTE_MS })
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(RangeError)
    expect(String((refused as Error).message)).not.toContain('secret')
    await store.close()
  })

  it('anything else at a session’s key reads as absent, and a login (version 0) replaces it', async () => {
    const [kv] = await handles
    const prefix = randomKvPrefix()
    const store = createDenoKvStore(kv, { prefix })
    await kv.set([prefix, 'k'], 'not a record')
    expect(await store.get('k')).toBeUndefined()
    const version = await store.compareAndSet('k', 'mine', { expectedVersion: 0, ttlMs: MINUTE_MS })
    expect(await store.get('k')).toEqual({ value: 'mine', version })
    await store.close()
  })
})
