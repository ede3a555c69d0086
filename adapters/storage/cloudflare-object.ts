/**
 * The Durable Object behind the Cloudflare store: one object per session key, holding that
 * session's record. Its methods are what `createDurableObjectStore` calls over RPC.
 *
 * @module
 */
import { DurableObject } from 'cloudflare:workers'

/**
 * The part of a Durable Object's `ctx.storage` the session object uses (workerd's
 * `DurableObjectStorage` has it).
 * @group Stores
 */
export interface SessionObjectStorage {
  get<T>(key: string): Promise<T | undefined>
  put<T>(key: string, value: T): Promise<void>
  deleteAll(): Promise<void>
  getAlarm(): Promise<number | null>
  setAlarm(scheduledTime: number): Promise<void>
  deleteAlarm(): Promise<void>
}

/**
 * The part of a Durable Object's `ctx` (workerd's `DurableObjectState`) the session object
 * uses.
 * @group Stores
 */
export interface SessionObjectState {
  readonly storage: SessionObjectStorage
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>
}

/**
 * A session record as {@link BoltSessionObject.read} answers it.
 * @group Stores
 */
export interface SessionObjectRecord {
  value: string
  version: number
}

/** What the object keeps in its storage, under one key. */
interface StoredRecord extends SessionObjectRecord {
  /** Epoch milliseconds; at or after it the record reads as absent. */
  expiresAt: number
}

/** One open {@link BoltSessionObject.watch} stream. */
interface Watcher {
  controller: ReadableByteStreamController
  deadline: ReturnType<typeof setTimeout>
}

const RECORD_KEY = 'record'
const encoder = new TextEncoder()
const ignore = () => {}

/** One line of a watch stream: the object's revision, in decimal. */
function revisionLine(revision: number): Uint8Array<ArrayBuffer> {
  // A copy typed on a plain ArrayBuffer, as a byte stream takes it (workers-types' encode
  // answers on ArrayBufferLike).
  return new Uint8Array(encoder.encode(`${revision}\n`))
}

/**
 * The Durable Object class that holds one session per object. Export it from your Worker
 * under the class name your Durable Object binding names, and give that binding to
 * `createDurableObjectStore`:
 *
 * ```ts
 * export { BoltSessionObject } from 'bolt-token-lifecycle/cloudflare'
 * ```
 *
 * Inside, a compare-and-set checks the version and writes in one synchronous step: the object
 * runs one event at a time, so nothing interleaves, and workerd's output gate holds the answer
 * until the write is durable. An expired record reads as absent; an alarm at its expiry (or
 * the first read after it) deletes it, so an abandoned session leaves no storage behind.
 * Versions of a new record start at the object's clock in microseconds, so a session deleted
 * and written again never repeats a version.
 *
 * The methods are the store's RPC protocol, not an API of their own.
 * @group Stores
 */
export class BoltSessionObject extends DurableObject<unknown> {
  #record: StoredRecord | undefined
  /** Changes with every write and delete; never repeats while the object lives. */
  #revision = 0
  /** When the scheduled alarm fires, or `null` when none is. */
  #alarmAt: number | null = null
  readonly #watchers = new Set<Watcher>()

  constructor(ctx: SessionObjectState, env: unknown) {
    // workerd passes its DurableObjectState, which SessionObjectState describes in part.
    super(ctx as never, env)
    void ctx.blockConcurrencyWhile(async () => {
      const [record, alarmAt] = await Promise.all([
        ctx.storage.get<StoredRecord>(RECORD_KEY),
        ctx.storage.getAlarm(),
      ])
      this.#record = record
      this.#revision = record?.version ?? 0
      this.#alarmAt = alarmAt
    })
  }

  /** The object's clock (epoch ms): leases are set and compared on it. */
  time(): number {
    return Date.now()
  }

  /** The live record's value and version, or `undefined` when absent or expired. */
  read(): SessionObjectRecord | undefined {
    const record = this.#live()
    return record === undefined ? undefined : { value: record.value, version: record.version }
  }

  /**
   * Writes `value` for `ttlMs` if the record is at `expectedVersion` (0: absent).
   * @returns the new version, or `undefined` when the version did not match.
   */
  compareAndSet(value: string, expectedVersion: number, ttlMs: number): number | undefined {
    const current = this.#live()
    if ((current?.version ?? 0) !== expectedVersion) return undefined
    const version =
      current === undefined ? Math.max(this.#revision + 1, Date.now() * 1000) : current.version + 1
    this.#revision = version
    if (ttlMs > 0) {
      const record = { value, version, expiresAt: Date.now() + ttlMs }
      this.#record = record
      // Not awaited: no other event runs before this one ends, and the output gate holds our
      // answer until the write is durable (a failed write resets the object).
      this.ctx.storage.put(RECORD_KEY, record).catch(ignore)
      if (this.#alarmAt === null) this.#schedule(record.expiresAt)
    } else {
      this.#forget()
    }
    this.#notify()
    return version
  }

  /** Deletes the record (no-op when absent). */
  deleteRecord(): void {
    if (this.#live() === undefined) return
    // A revision of its own, so that a watcher tells "deleted" from "as it was".
    this.#revision += 1
    this.#forget()
    this.#notify()
  }

  /**
   * A stream of the object's revision: one line now, then one after each write or delete,
   * until the caller cancels it or `maxMs` passes (then it ends). The watcher is registered
   * before this returns, so a change after the call resolved is never missed.
   */
  watch(maxMs: number): ReadableStream<Uint8Array> {
    let watcher: Watcher | undefined
    return new ReadableStream({
      type: 'bytes',
      // Runs synchronously, inside the constructor: registered before we return.
      start: (controller) => {
        const registered: Watcher = {
          controller,
          deadline: setTimeout(() => this.#unwatch(registered, true), maxMs),
        }
        watcher = registered
        this.#watchers.add(registered)
        controller.enqueue(revisionLine(this.#revision))
      },
      cancel: () => {
        if (watcher !== undefined) this.#unwatch(watcher, false)
      },
    })
  }

  /** The expiry alarm: deletes an expired record, or waits for the renewed one's expiry. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null
    const record = this.#live()
    if (record !== undefined) this.#schedule(record.expiresAt)
  }

  #live(): StoredRecord | undefined {
    const record = this.#record
    if (record === undefined || record.expiresAt > Date.now()) return record
    this.#forget()
    return undefined
  }

  /** Drops the record and all storage (the revision stays in memory). */
  #forget(): void {
    this.#record = undefined
    this.#alarmAt = null
    this.ctx.storage.deleteAll().catch(ignore)
    this.ctx.storage.deleteAlarm().catch(ignore)
  }

  #schedule(at: number): void {
    this.#alarmAt = at
    this.ctx.storage.setAlarm(at).catch(ignore)
  }

  #notify(): void {
    for (const watcher of [...this.#watchers]) {
      try {
        watcher.controller.enqueue(revisionLine(this.#revision))
      } catch {
        // the reader is gone: its stream is closed or errored
        this.#unwatch(watcher, false)
      }
    }
  }

  #unwatch(watcher: Watcher, close: boolean): void {
    this.#watchers.delete(watcher)
    clearTimeout(watcher.deadline)
    if (!close) return
    try {
      watcher.controller.close()
    } catch {
      // already closed or errored
    }
  }
}
