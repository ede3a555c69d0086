/**
 * `memory.bytes-per-session`: heap per stored session in the memory store, 100 000 sessions,
 * measured in a child process run with `--expose-gc` (bench/memory-size-child.ts).
 *
 * @module
 */
import { spawnChild } from './child.js'
import type { Section } from './context.js'
import { heading, int, table } from './format.js'
import type { MemorySizeResult } from './memory-size-child.js'
import { measured } from './metrics.js'

/** Measures the memory store's heap per session, and what it is made of. */
export const memorySize: Section = async () => {
  heading('memory.bytes-per-session: heap per stored session, memory store')
  const child = await spawnChild<{ type: 'ready' }>('./memory-size-child.ts', {
    nodeFlags: ['--expose-gc'],
    name: 'memory-size child',
  })
  let result: MemorySizeResult
  try {
    result = await child.request<MemorySizeResult>({ type: 'measure' }, 'result', 120_000)
  } finally {
    await child.close()
  }
  const { tokenLengths: lengths } = result
  const entryBytes = result.storeBytes - result.recordStringBytes
  const ropeBytes = result.recordStringBytes - result.flatRecordBytes
  console.log(
    `  ${int(result.sessions)} sessions; tokens as the emulator issues them (access ${lengths.access}, ` +
      `refresh ${lengths.refresh}, id token ${lengths.id} characters); record ${result.recordLength} ` +
      `characters as encodeSessionRecord writes it after a login; session ids ${result.sessionIdLength} characters`,
  )
  console.log(
    table(
      ['per session', 'bytes'],
      [
        ['memory store, as written', int(result.storeBytes)],
        [
          '  of which the record string, as JSON.stringify returns it',
          int(result.recordStringBytes),
        ],
        ['    of which the rope (a tree of parts) over a flat string', int(ropeBytes)],
        ['  of which key, Map slot and store entry', int(entryBytes)],
        ['memory store, after one read of each session (flattens)', int(result.storeReadBytes)],
        ['a bare Map<string, string> of the same, as written', int(result.plainMapBytes)],
        [
          `manager's decoded-record cache, per session read (≤ ${int(result.recordCacheEntries)} kept)`,
          int(result.recordCacheBytes),
        ],
      ],
    ),
  )
  return {
    'memory.bytes-per-session': measured(
      result.storeBytes,
      'bytes',
      `heap growth / sessions after storing ${int(result.sessions)} post-login records (gc'd, --expose-gc, own process): ` +
        `record string ${int(result.recordStringBytes)} B for ${result.recordLength} chars (a rope: ${int(ropeBytes)} B over flat) + key, Map slot and entry ${int(entryBytes)} B`,
    ),
    'memory.bytes-per-session.after-read': measured(
      result.storeReadBytes,
      'bytes',
      "the same sessions after one read each (a first read parses the record, which flattens V8's rope in place)",
    ),
    'memory.plain-map.bytes-per-session': measured(
      result.plainMapBytes,
      'bytes',
      'the same keys and records, as written, in a bare Map<string, string>',
    ),
    'memory.record-cache.bytes-per-entry': measured(
      result.recordCacheBytes,
      'bytes',
      `heap per session in the manager's decoded-record cache after getAccessToken on ${int(result.recordCacheEntries)} of them (the cache keeps at most 10 000)`,
    ),
  }
}
