/**
 * How the Deno KV store wakes its waiters: a raw `kv.watch()` of each watched key where the
 * handle has one, and a poll of their versionstamps every `pollIntervalMs` (a watch on a local
 * SQLite file sees only its own process's writes). A listener hears of a change only when the
 * key's versionstamp differs from the last one observed. Internal to
 * `bolt-token-lifecycle/deno-kv`.
 *
 * @module
 */
import type { DenoKvKey, DenoKvLike } from './deno-kv.js'

/** One watched key: its listeners and the versionstamp they last heard of. */
interface Watched {
  /** The session key. */
  name: string
  /** Its Deno KV key. */
  key: DenoKvKey
  listeners: Set<() => void>
  /** The versionstamp last observed; `undefined` until the first read. */
  seen: string | null | undefined
  ready: Promise<void>
  stopWatch(): void
}

/** What the waking needs of the store. */
export interface DenoKvWakeOptions {
  kv: Pick<DenoKvLike, 'getMany' | 'watch'>
  /** The Deno KV key of a session key. */
  key: (name: string) => DenoKvKey
  /** Whether to watch (else only poll). */
  useWatch: boolean
  /** How often watched keys are read, or `false` for never. */
  pollIntervalMs: number | false
}

/** Creates the store's `subscribe` and `close`. */
export function createDenoKvWake({ kv, key, useWatch, pollIntervalMs }: DenoKvWakeOptions) {
  const watched = new Map<string, Watched>()
  /** Keys to read, with who waits for that read. */
  const pending = new Map<string, Array<(error?: unknown) => void>>()
  let checking = false
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let closed = false

  function notify(entry: Watched): void {
    for (const listener of [...entry.listeners]) {
      try {
        listener()
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  /**
   * Reads the pending keys, one read at a time: each read starts after the previous one
   * answered, so what is observed of a key only moves forward, and its listeners hear of a
   * change only when its versionstamp differs from the last one observed.
   */
  async function check(): Promise<void> {
    if (checking) return
    checking = true
    try {
      while (pending.size > 0) {
        const batch = [...pending].slice(0, 10)
        for (const [name] of batch) pending.delete(name)
        const entries = batch.map(([name]) => watched.get(name))
        let failure: unknown
        try {
          const live = entries.filter((entry) => entry !== undefined)
          const snapshot =
            live.length === 0 || closed ? [] : await kv.getMany(live.map((e) => e.key))
          live.forEach((entry, index) => {
            const versionstamp = snapshot[index]?.versionstamp ?? null
            const before = entry.seen
            entry.seen = versionstamp
            if (
              before !== undefined &&
              before !== versionstamp &&
              watched.get(entry.name) === entry
            ) {
              notify(entry)
            }
          })
        } catch (error) {
          failure = error ?? new Error('Deno KV read failed')
        }
        for (const [, waiters] of batch) for (const done of waiters) done(failure)
      }
    } finally {
      checking = false
    }
  }

  /** Reads `name` in turn; resolves once that read answered (rejects if it failed). */
  function schedule(name: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = pending.get(name) ?? []
      waiters.push((error) => (error === undefined ? resolve() : reject(error)))
      pending.set(name, waiters)
      void check()
    })
  }

  function schedulePoll(): void {
    if (pollIntervalMs === false || pollTimer !== undefined || closed || watched.size === 0) return
    pollTimer = setTimeout(() => {
      pollTimer = undefined
      // A failed read is read again by the next poll.
      Promise.allSettled([...watched.keys()].map(schedule)).then(schedulePoll)
    }, pollIntervalMs)
    // Node: a poll must not keep the process alive (elsewhere timers have no unref).
    ;(pollTimer as { unref?: () => void }).unref?.()
  }

  /** Starts a raw watch of the entry; resolves once it is active (its first message came). */
  async function startWatch(entry: Watched): Promise<void> {
    if (!useWatch || kv.watch === undefined) return
    const reader = kv.watch([entry.key], { raw: true }).getReader()
    let stopped = false
    entry.stopWatch = () => {
      stopped = true
      reader.cancel().catch(() => {})
    }
    const first = await reader.read()
    if (first.done) return
    // Each later message is a hint: the check reads the key and compares.
    const follow = async () => {
      for (;;) {
        const message = await reader.read()
        if (message.done || stopped) return
        await schedule(entry.name).catch(() => {})
      }
    }
    follow().catch(() => {
      // a broken watch leaves the poll
    })
  }

  async function startListening(entry: Watched): Promise<void> {
    try {
      await startWatch(entry)
    } catch (error) {
      // Without a watch the poll still hears of every change, only later.
      if (pollIntervalMs === false) throw error
    }
    // The first observation, made once the watch is active: any change after it is heard of.
    await schedule(entry.name)
    schedulePoll()
  }

  function stopListening(entry: Watched): void {
    if (watched.get(entry.name) === entry) watched.delete(entry.name)
    entry.stopWatch()
    if (watched.size === 0 && pollTimer !== undefined) {
      clearTimeout(pollTimer)
      pollTimer = undefined
    }
  }

  return {
    async subscribe(name: string, listener: () => void): Promise<() => void> {
      if (closed) throw new Error('the Deno KV store is closed')
      let entry = watched.get(name)
      if (entry === undefined) {
        const created: Watched = {
          name,
          key: key(name),
          listeners: new Set(),
          seen: undefined,
          ready: Promise.resolve(),
          stopWatch: () => {},
        }
        watched.set(name, created)
        created.ready = startListening(created)
        created.ready.catch(() => stopListening(created))
        entry = created
      }
      entry.listeners.add(listener)
      await entry.ready
      const subscribed = entry
      return () => {
        subscribed.listeners.delete(listener)
        if (subscribed.listeners.size === 0) stopListening(subscribed)
      }
    },

    async close(): Promise<void> {
      closed = true
      for (const entry of [...watched.values()]) stopListening(entry)
    },
  }
}
