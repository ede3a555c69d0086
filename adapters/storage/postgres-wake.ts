/**
 * How the PostgreSQL store wakes its waiters: one `LISTEN` connection for the table, or a poll
 * of the watched keys' versions where no such connection exists. Internal to
 * `bolt-token-lifecycle/postgres`.
 *
 * @module
 */
import type { PostgresListenClient, PostgresNotification } from './postgres.js'

/** How waiters wake: a `LISTEN` connection, or polling. */
export interface Notifier {
  /** Resolves once a change of `key` made after it is sure to be reported. */
  watch(key: string): Promise<void>
  unwatch(key: string): void
  close(): Promise<void>
}

export interface ListenConnection {
  client: PostgresListenClient
  release(): Promise<void>
}

/**
 * One `LISTEN` for every key of the table. When the connection is lost, every waiter is
 * woken (changes may have been missed) and the store listens again, waking them once more.
 */
export function listenNotifier(
  acquire: () => Promise<ListenConnection>,
  channel: string,
  retryMs: number,
  wake: (key: string) => void,
  wakeAll: () => void,
  isWatching: () => boolean,
): Notifier {
  let active: Promise<ListenConnection> | undefined
  let current: ListenConnection | undefined
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined

  async function start(): Promise<ListenConnection> {
    const acquired = await acquire()
    const { client } = acquired
    let ended = false
    const end = async () => {
      if (ended) return
      ended = true
      client.removeListener('notification', onNotification as () => void)
      client.removeListener('error', onLost)
      client.removeListener('end', onLost)
      await acquired.release()
    }
    const connection: ListenConnection = { client, release: end }
    function onNotification(message: PostgresNotification) {
      if (message.channel === channel && message.payload !== undefined) wake(message.payload)
    }
    function onLost() {
      if (ended) return
      end().catch(() => {})
      if (current === connection) {
        current = undefined
        active = undefined
      }
      wakeAll()
      relisten()
    }
    client.on('notification', onNotification)
    client.on('error', onLost)
    client.on('end', onLost)
    try {
      await client.query(`LISTEN "${channel}"`)
    } catch (error) {
      await end().catch(() => {})
      throw error
    }
    current = connection
    return connection
  }

  function listening(): Promise<ListenConnection> {
    if (active === undefined) {
      const starting = start()
      active = starting
      starting.catch(() => {
        if (active === starting) active = undefined
      })
    }
    return active
  }

  function relisten(): void {
    if (closed || !isWatching() || retry !== undefined) return
    retry = setTimeout(() => {
      retry = undefined
      if (closed || !isWatching()) return
      listening().then(wakeAll, relisten)
    }, retryMs)
  }

  async function close(): Promise<void> {
    closed = true
    clearTimeout(retry)
    const connection = await active?.catch(() => undefined)
    active = undefined
    current = undefined
    await connection?.release().catch(() => {})
  }

  return {
    async watch() {
      await listening()
      // Closed while LISTEN was starting: give the connection back.
      if (closed) await close()
    },
    unwatch() {},
    close,
  }
}

/** Reads the versions of the watched keys every `intervalMs`; a different one is a change. */
export function pollNotifier(
  readVersions: (keys: string[]) => Promise<Map<string, string>>,
  intervalMs: number,
  wake: (key: string) => void,
): Notifier {
  /** The version last seen of each watched key, `''` when absent. */
  const seen = new Map<string, string>()
  const watched = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false

  async function poll(): Promise<void> {
    timer = undefined
    const keys = [...seen.keys()]
    if (closed || keys.length === 0) return
    try {
      const versions = await readVersions(keys)
      for (const key of keys) {
        const version = versions.get(key) ?? ''
        if (!seen.has(key) || seen.get(key) === version) continue
        seen.set(key, version)
        wake(key)
      }
    } catch {
      // the database is away: the next poll tries again, and the waiters re-read on their own
    }
    schedule()
  }

  function schedule(): void {
    if (timer === undefined && !closed && seen.size > 0) timer = setTimeout(poll, intervalMs)
  }

  return {
    async watch(key) {
      watched.add(key)
      if (seen.has(key)) return
      const version = (await readVersions([key])).get(key) ?? ''
      if (watched.has(key) && !seen.has(key)) seen.set(key, version)
      schedule()
    },
    unwatch(key) {
      watched.delete(key)
      seen.delete(key)
    },
    async close() {
      closed = true
      clearTimeout(timer)
      seen.clear()
    },
  }
}
