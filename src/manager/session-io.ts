/**
 * Session I/O: reads a session from the store and decodes it (through the record cache),
 * feeds the machine events and writes the result back by compare-and-set, and watches a
 * session for changes. Nothing here decides what to do; the refresh protocol and login do.
 *
 * @module
 */
import { initialTransition } from 'xstate'
import type { VersionedValue } from '../contracts.js'
import { recordUnreadable, storeUnavailable, storeWriteFailed } from '../errors.js'
import { type TokenEvent, type TokenState, tokenMachine } from '../machine/token-machine.js'
import type { LifecycleEvent, TransitionEvent } from './lifecycle-events.js'
import { type MachineActions, step } from './machine-step.js'
import type { ResolvedOptions } from './options.js'
import { createRecordCache } from './record-cache.js'
import { reviveSnapshot, sessionRecordOf, type TokenSnapshot } from './session-record.js'

/**
 * A session as read from the store. Absent sessions read as the initial snapshot at version 0;
 * a record this instance cannot read (another key ring, plaintext refused, corrupt) reads as
 * the initial snapshot at its real version, with `unreadable` set.
 */
export interface LoadedSession {
  snapshot: TokenSnapshot
  version: number
  unreadable?: true
}

/** A session just written by compare-and-set, with the actions its transitions asked for. */
export interface Committed extends LoadedSession {
  actions: MachineActions
  /** How long the write took (ms, monotonic): what the next write of this session may take. */
  writeMs: number
}

/** What session I/O needs. */
export interface SessionIODeps {
  options: ResolvedOptions
  /** The manager's one safe emit: it never throws. */
  emit: (event: LifecycleEvent) => void
}

const [initialSnapshot] = initialTransition(tokenMachine)

/**
 * How long a logged-out session's record (its tombstone) is kept at least: while it lives, a
 * refresh or login that started before the logout cannot write the session back (its
 * compare-and-set names an older version).
 */
const TOMBSTONE_MIN_TTL_MS = 60_000

/** How many lease lengths a tombstone outlives: longer than any write begun under a lease. */
const TOMBSTONE_LEASES = 4

function sleep(ms: number, wake: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const slept = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([slept, wake]).finally(() => clearTimeout(timer))
}

/** Creates the session I/O of one manager. */
export function createSessionIO({ options, emit }: SessionIODeps) {
  const { store, clock, cipher } = options
  const records = createRecordCache({
    cipher,
    acceptsPlaintext: () => clock() < options.plaintextAcceptedUntil,
    storeKeyOf: options.storeKeyOf,
    onUnreadable: (sessionId, reason, keyId) =>
      emit({
        type: 'error',
        sessionId,
        error: recordUnreadable(reason, keyId),
        detail: 'The session reads as absent.',
        at: clock(),
      }),
  })

  /** One store read. */
  async function read(sessionId: string): Promise<VersionedValue | undefined> {
    try {
      return await store.get(records.keyOf(sessionId))
    } catch (cause) {
      throw storeUnavailable('read the session', cause)
    }
  }

  /** Turns a stored value into a snapshot; an unreadable record reads as a fresh session. */
  async function revive(
    sessionId: string,
    stored: VersionedValue | undefined,
  ): Promise<LoadedSession> {
    if (stored === undefined) return { snapshot: initialSnapshot, version: 0 }
    const record = await records.decode(sessionId, stored)
    if (record === undefined)
      return { snapshot: initialSnapshot, version: stored.version, unreadable: true }
    return { snapshot: reviveSnapshot(record), version: stored.version }
  }

  /** Reads and revives a session. */
  async function load(sessionId: string): Promise<LoadedSession> {
    return revive(sessionId, await read(sessionId))
  }

  /** The record's time to live: a logout's tombstone, or a session's. */
  function ttlOf(snapshot: TokenSnapshot): number {
    const loggedOut = snapshot.value === 'unauthenticated' && snapshot.context.lastError === null
    return loggedOut
      ? Math.max(TOMBSTONE_MIN_TTL_MS, options.leaseMs * TOMBSTONE_LEASES)
      : options.sessionTtlMs
  }

  /**
   * Feeds `events` to the machine from `loaded` and persists the result if the record is
   * still at `loaded.version` (the version check is the fence: never overwrite a newer
   * record). Resolves `undefined` when another writer got there first. Nothing changed:
   * nothing is written, and `loaded` comes back with the actions.
   */
  async function commit(
    sessionId: string,
    loaded: LoadedSession,
    events: TokenEvent[],
  ): Promise<Committed | undefined> {
    let snapshot = loaded.snapshot
    const actions: MachineActions = []
    const transitions: TransitionEvent[] = []
    for (const event of events) {
      const [next, nextActions] = step(snapshot, event)
      if (next.value !== snapshot.value || next.context !== snapshot.context) {
        transitions.push({
          type: 'transition',
          sessionId,
          from: snapshot.value as TokenState,
          to: next.value as TokenState,
          event: event.type,
          at: event.now,
        })
      }
      snapshot = next
      actions.push(...nextActions)
    }
    if (transitions.length === 0) return { ...loaded, actions, writeMs: 0 }
    let version: number | undefined
    let value: string
    const record = sessionRecordOf(snapshot)
    const startedAt = performance.now()
    try {
      const plaintext = JSON.stringify(record)
      value = cipher === null ? plaintext : await cipher.encrypt(plaintext, sessionId)
      version = await store.compareAndSet(records.keyOf(sessionId), value, {
        expectedVersion: loaded.version,
        ttlMs: ttlOf(snapshot),
      })
    } catch (cause) {
      throw storeWriteFailed(cause)
    }
    if (version === undefined) return undefined
    const writeMs = performance.now() - startedAt
    // What we wrote is what the next read of this version returns: it need not be decoded.
    records.remember(sessionId, { value, version }, record)
    for (const record of transitions) emit(record)
    return { snapshot, version, actions, writeMs }
  }

  /**
   * Watches one session for the length of a wait loop: one subscription, however many
   * times the loop waits. `next` returns on a notification, when the record is found past
   * `version` right after subscribing, or after `maxWaitMs` (the poll fallback).
   */
  async function watch(sessionId: string, version: number): Promise<SessionWatch> {
    let notified = false
    let wake: (() => void) | undefined
    let unsubscribe: () => void
    try {
      unsubscribe = await store.subscribe(records.keyOf(sessionId), () => {
        notified = true
        wake?.()
      })
    } catch (cause) {
      throw storeUnavailable('watch the session', cause)
    }
    // Re-read after subscribing: a change between our read and the subscription is not lost.
    // Only ever raise the flag here: a notification that arrived while this read was in
    // flight (its answer predating the write) must not be forgotten.
    if (((await read(sessionId).catch(() => undefined))?.version ?? 0) !== version) notified = true
    return {
      async next(maxWaitMs: number): Promise<void> {
        if (!notified) {
          await sleep(
            maxWaitMs,
            new Promise<void>((resolve) => {
              wake = resolve
            }),
          )
          wake = undefined
        }
        notified = false
      },
      stop: () => unsubscribe(),
    }
  }

  return { store, records, read, revive, load, commit, watch }
}

/** One subscription to a session's changes, see {@link createSessionIO}'s `watch`. */
export interface SessionWatch {
  /** Resolves on the next change, or after `maxWaitMs`. */
  next(maxWaitMs: number): Promise<void>
  stop(): void
}

/** A manager's session I/O. */
export type SessionIO = ReturnType<typeof createSessionIO>
