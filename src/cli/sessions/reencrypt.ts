/**
 * `sessions reencrypt`: after a key rotation, rewrites every record that is not under the
 * current key, in batches, each write a compare-and-set naming the version read, so a live
 * instance's write (a refresh, a login, a logout) is never overwritten: a record that changed
 * meanwhile is read again and retried, or skipped once it is under the current key or gone.
 * The record's content is not touched (only its encryption), and its remaining TTL is kept.
 *
 * @module
 */
import {
  isSessionBoundRecord,
  RecordDecryptionError,
  recordKeyId,
} from '../../crypto/encryption.js'
import {
  type Checkpoint,
  loadCheckpoint,
  type ReencryptCounts,
  removeCheckpoint,
  saveCheckpoint,
  zeroCounts,
} from './checkpoint.js'
import type { KeyRing } from './environment.js'
import { usageError } from './exit-codes.js'
import type { createProgress } from './progress.js'
import type { UnreadableReason } from './record-reader.js'
import type { ScanPage, SessionSource, StoredSession } from './source.js'

/** How often one record is read again after a live write beat ours, before it is skipped. */
const ATTEMPTS = 3

/** What `reencrypt` did. */
export interface ReencryptResult {
  command: 'reencrypt'
  store: string
  currentKeyId: string
  /** Every record was scanned. */
  complete: boolean
  /** Why it stopped before the end: `--limit`, or an interruption (Ctrl-C). */
  stoppedBy: 'limit' | 'interrupt' | null
  /** The checkpoint to `--resume` from, or `null` once complete (it is then removed). */
  checkpoint: string | null
  /** Where the next batch starts, or `null` once complete. */
  cursor: string | null
  /** Whether this run continued a checkpoint. */
  resumed: boolean
  /** Counts over the whole run, resumed parts included. */
  counts: ReencryptCounts
  unreadableByReason: Partial<Record<UnreadableReason, number>>
}

/** Options of {@link reencryptSessions}. */
export interface ReencryptOptions {
  source: SessionSource
  ring: KeyRing
  batchSize: number
  checkpointPath: string
  resume: boolean
  /** Stop (checkpoint saved) once this many records were scanned in this run. */
  limit: number | undefined
  progress: ReturnType<typeof createProgress>
  /** Aborted by Ctrl-C: the run stops after the current batch, checkpoint saved. */
  signal: AbortSignal | undefined
  /** For tests: called with each batch after it is read and before anything is written. */
  afterScan?: ((page: ScanPage) => Promise<void>) | undefined
}

type Outcome =
  | 'rewritten'
  | 'alreadyCurrent'
  | 'skippedChanged'
  | 'plaintext'
  | { unreadable: UnreadableReason }

/** The checkpoint to start from, checked against this run; `undefined` to start afresh. */
async function startingPoint(options: ReencryptOptions): Promise<Checkpoint | undefined> {
  const { checkpointPath, resume, source, ring } = options
  const saved = await loadCheckpoint(checkpointPath)
  if (!resume) {
    if (saved !== undefined) {
      throw usageError(
        `A checkpoint of an earlier run is at ${checkpointPath}: pass --resume to continue it, or remove the file to start over.`,
      )
    }
    return undefined
  }
  if (saved === undefined) {
    throw usageError(
      `No checkpoint at ${checkpointPath} to resume from: run without --resume to start (or give --checkpoint the file an earlier run saved).`,
    )
  }
  if (saved.store !== source.description) {
    throw usageError(
      `The checkpoint at ${checkpointPath} belongs to ${saved.store}, not ${source.description}: give --checkpoint another file.`,
    )
  }
  if (saved.currentKeyId !== ring.cipher.currentKeyId) {
    throw usageError(
      `The checkpoint at ${checkpointPath} re-encrypts under key '${saved.currentKeyId}', but the current key is now '${ring.cipher.currentKeyId}': remove the checkpoint and run again without --resume.`,
    )
  }
  return saved
}

/** Re-encrypts every record of `options.source` under the key ring's current key. */
export async function reencryptSessions(options: ReencryptOptions): Promise<ReencryptResult> {
  const { source, ring, batchSize, checkpointPath, progress, signal } = options
  const { cipher } = ring
  const saved = await startingPoint(options)
  const counts = saved?.counts ?? zeroCounts()
  const unreadableByReason: Partial<Record<UnreadableReason, number>> = {
    ...(saved?.unreadableByReason ?? {}),
  }

  async function reencryptOne(first: StoredSession): Promise<Outcome> {
    let session: StoredSession | undefined = first
    for (let attempt = 0; attempt < ATTEMPTS && session !== undefined; attempt++) {
      const keyId = recordKeyId(session.value)
      if (keyId === undefined) return 'plaintext'
      if (keyId === cipher.currentKeyId) return attempt === 0 ? 'alreadyCurrent' : 'skippedChanged'
      if (isSessionBoundRecord(session.value)) return { unreadable: 'session-bound' }
      if (!ring.keyIds.has(keyId)) return { unreadable: 'unknown-key' }
      let plaintext: string
      try {
        plaintext = await cipher.decrypt(session.value, session.key)
      } catch (error) {
        if (!(error instanceof RecordDecryptionError)) throw error
        return { unreadable: 'failed-check' }
      }
      const sealed = await cipher.encrypt(plaintext, session.key)
      const written = await source.store.compareAndSet(session.key, sealed, {
        expectedVersion: session.version,
        ...(session.ttlMs === undefined ? {} : { ttlMs: session.ttlMs }),
      })
      if (written !== undefined) return 'rewritten'
      // A live instance wrote it after our read: read it again, never overwrite its write.
      session = await source.read(session.key)
    }
    return 'skippedChanged'
  }

  const checkpointAt = (cursor: string): Checkpoint => ({
    format: 'bolt-token-lifecycle/reencrypt-checkpoint/v1',
    store: source.description,
    currentKeyId: cipher.currentKeyId,
    cursor,
    counts,
    unreadableByReason,
    savedAt: new Date().toISOString(),
  })
  const result = (cursor: string | null, stoppedBy: ReencryptResult['stoppedBy']) => ({
    command: 'reencrypt' as const,
    store: source.description,
    currentKeyId: cipher.currentKeyId,
    complete: cursor === null,
    stoppedBy,
    checkpoint: cursor === null ? null : checkpointPath,
    cursor,
    resumed: saved !== undefined,
    counts,
    unreadableByReason,
  })

  let cursor: string | null = saved?.cursor ?? ''
  let scannedThisRun = 0
  while (cursor !== null) {
    const stop =
      signal?.aborted === true
        ? 'interrupt'
        : options.limit !== undefined && scannedThisRun >= options.limit
          ? 'limit'
          : null
    if (stop !== null) {
      await saveCheckpoint(checkpointPath, checkpointAt(cursor))
      progress.finish(counts, false)
      return result(cursor, stop)
    }
    const page = await source.scan(cursor, batchSize)
    await options.afterScan?.(page)
    const outcomes = await Promise.all(page.sessions.map(reencryptOne))
    for (const outcome of outcomes) {
      if (typeof outcome === 'string') counts[outcome] += 1
      else {
        counts.unreadable += 1
        unreadableByReason[outcome.unreadable] = (unreadableByReason[outcome.unreadable] ?? 0) + 1
      }
    }
    counts.scanned += page.sessions.length
    counts.batches += 1
    scannedThisRun += page.sessions.length
    cursor = page.next
    if (cursor !== null) await saveCheckpoint(checkpointPath, checkpointAt(cursor))
    progress.update(counts)
  }
  await removeCheckpoint(checkpointPath)
  progress.finish(counts, true)
  return result(null, null)
}
