/**
 * The Deno KV session store, for instances sharing sessions through Deno KV: Deno Deploy's
 * database, a local SQLite file opened with `Deno.openKv(path)`, or the same through
 * `openKv` of `@deno/kv` on Node. It takes your handle, typed by the few methods it calls,
 * so it imports neither Deno's nor `@deno/kv`'s types.
 *
 * Layout: one entry per session at `[...prefix, key]`: a short header (format, version,
 * `expiresAt`, parts) and the record, as bytes. Bytes and not a JavaScript object, because
 * Deno KV stores a `Uint8Array` as it is and everything else through V8's serializer, whose
 * format differs between runtimes (Node 20's V8 cannot read what Deno 2.9 writes): so Node
 * and Deno instances can share one database. A read is one strong `get`. A compare-and-set
 * reads the entry, compares the version, and commits with
 * `atomic().check({ key, versionstamp })`, so a concurrent writer makes it read again rather
 * than overwrite.
 *
 * Versions grow by one per write. A new key's version is the commit sequence of the commit
 * that created it (the header says `-`; it is read from the entry's versionstamp): commits
 * of the database only move forward and every write of the old key was one of them, so a
 * key deleted (or expired) and created again starts above every version it had before.
 *
 * Time to live: Deno KV's `expireIn` deletes an entry at some point after it is due, so each
 * entry carries its own `expiresAt`, measured by the writing instance's clock (`clock`), and a
 * due entry reads as absent at once; `expireIn` is still passed so that storage is reclaimed.
 *
 * Records above 60 000 bytes of UTF-8 (Deno KV takes at most 64 KiB per value) are stored in
 * up to 9 parts of 60 000 bytes at `[...prefix, key, 1…9]`, written in the same atomic commit
 * as the entry and read with it in one snapshot (`getMany`).
 *
 * Waiters wake on `kv.watch()` where the handle has it, and on a poll (`pollIntervalMs`): a
 * watch on a local SQLite file sees only the writes of its own process, on Deno as on Node.
 * A local file opened by `@deno/kv` on Node is polled only: through 0.14.0 a watch of its
 * cannot be stopped while it waits (the waiting native call keeps the watch, and the
 * process alive, until the key changes again).
 *
 * @module
 */
import type { CompareAndSetOptions, TokenStore, VersionedValue } from '../../src/contracts.js'
import {
  decoder,
  encodeEntry,
  joinParts,
  MAX_PARTS,
  sequenceOf,
  split,
  storedOf,
  versionOf,
} from './deno-kv-entry.js'
import { createDenoKvWake } from './deno-kv-wake.js'

/**
 * A Deno KV key: what this store builds keys from.
 * @group Stores
 */
export type DenoKvKey = readonly (string | number)[]

/**
 * An entry as `get` answers it: `versionstamp` is `null` when the key is absent.
 * @group Stores
 */
export interface DenoKvEntry {
  value: unknown
  versionstamp: string | null
}

/**
 * The atomic operation of a {@link DenoKvLike}: checks, then mutations, then `commit`.
 * @group Stores
 */
export interface DenoKvAtomic {
  check(...checks: { key: DenoKvKey; versionstamp: string | null }[]): DenoKvAtomic
  set(key: DenoKvKey, value: unknown, options?: { expireIn?: number }): DenoKvAtomic
  delete(key: DenoKvKey): DenoKvAtomic
  commit(): Promise<{ ok: true; versionstamp: string } | { ok: false }>
}

/**
 * The methods of a Deno KV handle this store calls: `Deno.Kv` (`await Deno.openKv()`) and
 * `@deno/kv`'s `Kv` (`await openKv(path)`) both fit as they are.
 * @group Stores
 */
export interface DenoKvLike {
  get(key: DenoKvKey): Promise<DenoKvEntry>
  getMany(keys: readonly DenoKvKey[]): Promise<readonly DenoKvEntry[]>
  atomic(): DenoKvAtomic
  /** Optional: without it, waiters wake on the poll alone. */
  watch?(keys: readonly DenoKvKey[], options?: { raw?: boolean }): ReadableStream<unknown>
}

/**
 * Options of {@link createDenoKvStore}.
 * @group Stores
 */
export interface DenoKvStoreOptions {
  /**
   * The first part(s) of every key: isolates applications sharing one database.
   * @default 'bolt-tokens'
   */
  prefix?: string | readonly string[]
  /**
   * Time to live of a record written without one (the token manager always names one: its
   * `sessionTtlMs`), in milliseconds.
   * @default 30 days
   */
  ttlMs?: number
  /**
   * The clock `expiresAt` is written and compared with, in epoch milliseconds. Instances
   * sharing the database should agree on it to within what a TTL can spare.
   * @default Date.now
   */
  clock?: () => number
  /**
   * How often keys with subscribers are read for changes another process made, in
   * milliseconds (one `getMany` per 10 such keys). `false` relies on `kv.watch()` alone:
   * right on Deno Deploy, where a watch sees every instance's writes, but not on a local file
   * shared by several processes.
   * @default 200
   */
  pollIntervalMs?: number | false
  /**
   * Whether to watch keys with `kv.watch()` when the handle has it.
   * @default true, except on a local file opened by `@deno/kv` on Node (see the module
   * comment: its watches cannot be stopped)
   */
  watch?: boolean
}

/**
 * The Deno KV store: a {@link TokenStore} plus `close()`, which stops its watches and poll.
 * @group Stores
 */
export interface DenoKvStore extends TokenStore {
  readonly clock: () => number
  /** Stops this store's watches and poll. Your KV handle stays open. */
  close(): Promise<void>
}

/** Concurrent writers can make a compare-and-set read again; past this, it gives up. */
const MAX_ATTEMPTS = 16
/** How long a commit is retried while SQLite answers "database is locked". */
const BUSY_RETRY_MS = 2_000

/**
 * A local SQLite file opened by several handles or processes answers a contended commit with
 * "database is locked" (Deno 2.9 and @deno/kv 0.14 alike) instead of waiting: nothing was
 * committed, so the commit may be tried again.
 */
function isBusy(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('database is locked')
}

/** Commits `build()`'s operation, again after a short pause while the file is busy. */
async function commitWhileBusy(
  build: () => DenoKvAtomic,
): Promise<{ ok: true; versionstamp: string } | { ok: false }> {
  const giveUp = performance.now() + BUSY_RETRY_MS
  for (;;) {
    try {
      return await build().commit()
    } catch (error) {
      if (!isBusy(error) || performance.now() > giveUp) throw error
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 18))
    }
  }
}

/**
 * Whether `kv` is a local SQLite handle of `@deno/kv` on Node (its native `napi` binding):
 * ending one of its watches while the watch waits for a change does not stop it (through
 * 0.14.0 the waiting call holds the watch and keeps the process alive until the key changes
 * again), so this store does not watch through it by default. Its watch would only see this
 * process's writes anyway; the poll sees every process's.
 */
function isNodeSqliteHandle(kv: DenoKvLike): boolean {
  return 'napi' in kv && 'dbId' in kv
}

/**
 * Creates a {@link TokenStore} on your Deno KV handle. The store never closes it.
 *
 * @example Deno (a local file, or Deno Deploy's database without a path):
 * ```ts
 * import { createDenoKvStore } from 'bolt-token-lifecycle/deno-kv'
 * const kv = await Deno.openKv()
 * const tokens = createTokenManager({ clientId, clientSecret, store: createDenoKvStore(kv) })
 * ```
 * @example Node, with the Deno KV npm package:
 * ```ts
 * import { openKv } from '@deno/kv'
 * import { createDenoKvStore } from 'bolt-token-lifecycle/deno-kv'
 * const store = createDenoKvStore(await openKv('sessions.sqlite3'))
 * ```
 * @group Stores
 */
export function createDenoKvStore(kv: DenoKvLike, options: DenoKvStoreOptions = {}): DenoKvStore {
  const prefix: readonly string[] =
    typeof options.prefix === 'string' ? [options.prefix] : (options.prefix ?? ['bolt-tokens'])
  const defaultTtlMs = options.ttlMs ?? 30 * 24 * 3_600_000
  const clock = options.clock ?? Date.now
  const pollIntervalMs = options.pollIntervalMs ?? 200
  const useWatch = (options.watch ?? !isNodeSqliteHandle(kv)) && typeof kv.watch === 'function'
  const entryKey = (key: string): DenoKvKey => [...prefix, key]
  const partKey = (key: string, part: number): DenoKvKey => [...prefix, key, part]

  /** The record and version of a live entry, reading its parts in one snapshot when it has them. */
  async function decode(
    key: string,
    entry: DenoKvEntry,
    now: number,
  ): Promise<VersionedValue | undefined> {
    let current = entry
    for (;;) {
      const stored = storedOf(current)
      if (stored === undefined || stored.expiresAt <= now || current.versionstamp === null) {
        return undefined
      }
      const version = versionOf(stored, current.versionstamp)
      const count = stored.parts
      if (count === 0)
        return { value: decoder.decode(stored.bytes.subarray(stored.bodyAt)), version }
      const keys = [entryKey(key), ...Array.from({ length: count }, (_, i) => partKey(key, i + 1))]
      const snapshot = await kv.getMany(keys)
      const [head, ...parts] = snapshot
      if (head === undefined) return undefined
      // The entry changed since the first read: decode the snapshot's entry instead.
      if (head.versionstamp !== current.versionstamp) {
        current = head
        continue
      }
      const value = joinParts(parts)
      return value === undefined ? undefined : { value, version }
    }
  }

  const wake = createDenoKvWake({ kv, key: entryKey, useWatch, pollIntervalMs })

  return {
    clock,

    // Not async: the valid-token path, where every extra promise hop costs throughput.
    get(key, now): Promise<VersionedValue | undefined> {
      return kv.get(entryKey(key)).then((entry) => decode(key, entry, now ?? clock()))
    },

    async compareAndSet(
      key,
      value,
      { expectedVersion, ttlMs = defaultTtlMs }: CompareAndSetOptions,
    ) {
      const stored = split(value)
      const newParts = 'parts' in stored ? stored.parts : []
      const inline = 'inline' in stored ? stored.inline : undefined
      const mainKey = entryKey(key)
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const entry = await kv.get(mainKey)
        const now = clock()
        const current = storedOf(entry)
        const live =
          current !== undefined && entry.versionstamp !== null && current.expiresAt > now
            ? versionOf(current, entry.versionstamp)
            : 0
        // A lost check reads again: only a write expecting 0 can still match then (the key
        // was deleted, expired, or written already expired in between); a version never
        // comes back.
        if (live !== expectedVersion) return undefined
        const oldParts = Math.min(current?.parts ?? 0, MAX_PARTS)
        const write = (): DenoKvAtomic => {
          const operation = kv.atomic().check({ key: mainKey, versionstamp: entry.versionstamp })
          const keptParts = ttlMs > 0 ? newParts.length : 0
          for (let part = keptParts + 1; part <= oldParts; part++) {
            operation.delete(partKey(key, part))
          }
          if (ttlMs <= 0) {
            // Already expired: nothing to keep (the version is still spent).
            return operation.delete(mainKey)
          }
          const expireIn = Number.isFinite(ttlMs) ? { expireIn: Math.ceil(ttlMs) } : undefined
          const version = expectedVersion === 0 ? null : expectedVersion + 1
          const record = encodeEntry(version, now + ttlMs, newParts.length, inline)
          operation.set(mainKey, record, expireIn)
          newParts.forEach((part, index) => {
            operation.set(partKey(key, index + 1), part, expireIn)
          })
          return operation
        }
        // Tried again while the file is busy: a busy commit committed nothing.
        const result = await commitWhileBusy(write)
        if (result.ok) {
          return expectedVersion === 0 ? sequenceOf(result.versionstamp) : expectedVersion + 1
        }
      }
      throw new Error(`Deno KV compare-and-set lost its check ${MAX_ATTEMPTS} times in a row`)
    },

    async delete(key) {
      await commitWhileBusy(() => {
        const operation = kv.atomic().delete(entryKey(key))
        for (let part = 1; part <= MAX_PARTS; part++) operation.delete(partKey(key, part))
        return operation
      })
    },

    subscribe: (key, listener) => wake.subscribe(key, listener),

    close: () => wake.close(),
  }
}
