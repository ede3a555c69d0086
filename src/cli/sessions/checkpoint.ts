/**
 * The checkpoint of `sessions reencrypt`: where the next batch starts (a Redis `SCAN` cursor,
 * or the last key of a keyset page) and the counts so far, saved after every batch so that
 * `--resume` continues after an interruption. Written to a temporary file and renamed, so a
 * crash never leaves half a checkpoint.
 *
 * A batch interrupted half-way is read again on resume: records it rewrote are then under the
 * current key and skipped (`alreadyCurrent`), so none is written twice.
 *
 * @module
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { usageError } from './exit-codes.js'

/** The checkpoint file's format tag. */
const FORMAT = 'bolt-token-lifecycle/reencrypt-checkpoint/v1'

/** What `reencrypt` counts. */
export interface ReencryptCounts {
  /** Records read. */
  scanned: number
  /** Re-encrypted under the current key (one compare-and-set each). */
  rewritten: number
  /** Already under the current key: left as they are. */
  alreadyCurrent: number
  /**
   * Changed by a live instance between the read and the write: re-read, and then found under
   * the current key, or gone, or still changing after every retry. Never overwritten.
   */
  skippedChanged: number
  /** Could not be opened (see `unreadableByReason`): left as they are. */
  unreadable: number
  /** Stored without encryption: left as they are (the manager encrypts them on their next write). */
  plaintext: number
  /** Batches read. */
  batches: number
}

/** A saved checkpoint. */
export interface Checkpoint {
  format: typeof FORMAT
  /** The store it belongs to (its printable description). */
  store: string
  /** The key id records are being re-encrypted under. */
  currentKeyId: string
  /** Where the next batch starts. */
  cursor: string
  counts: ReencryptCounts
  unreadableByReason: Record<string, number>
  savedAt: string
}

/** Counts before the first batch. */
export function zeroCounts(): ReencryptCounts {
  return {
    scanned: 0,
    rewritten: 0,
    alreadyCurrent: 0,
    skippedChanged: 0,
    unreadable: 0,
    plaintext: 0,
    batches: 0,
  }
}

/**
 * Reads the checkpoint at `path`, or `undefined` when there is none.
 *
 * @throws {AdminCommandError} `USAGE` when the file is not a checkpoint.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined
    throw usageError(`Cannot read the checkpoint ${path}: ${(error as Error).message}`)
  }
  let parsed: Partial<Checkpoint> | null = null
  try {
    parsed = JSON.parse(text) as Partial<Checkpoint>
  } catch {}
  if (parsed?.format !== FORMAT || typeof parsed.cursor !== 'string') {
    throw usageError(
      `${path} is not a reencrypt checkpoint: give --checkpoint another file, or remove this one.`,
    )
  }
  return parsed as Checkpoint
}

/** Saves `checkpoint` at `path` (atomically: a temporary file, then a rename). */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`)
  await rename(temporary, path)
}

/** Removes the checkpoint once the run is complete. */
export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true })
}
