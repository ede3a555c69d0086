/**
 * `deno-kv.hit.*` and `deno-kv.raw-get.ops`: what a valid-token read costs on Deno KV (a local
 * SQLite file through `@deno/kv` on Node), in KV reads (counted on the handle) and in
 * throughput at 100 concurrency against a raw `kv.get` of an entry of the same size.
 *
 * @module
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openKv } from '@deno/kv'
import { createDenoKvStore, type DenoKvLike } from '../adapters/storage/deno-kv.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import { EMULATOR_DEFAULTS } from '../src/emulator/options.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import type { Section } from './context.js'
import { heading } from './format.js'
import { measured } from './metrics.js'
import { compareReads, listRatios } from './read-comparison.js'
import { logInAll, sessionIds } from './sessions.js'

const CONCURRENCY = 100
const READS_COUNTED = 100
const PREFIX = 'bench'

/** `kv` with a count of the operations the store sends it. */
function counted(kv: DenoKvLike) {
  const counts = { get: 0, getMany: 0, atomic: 0 }
  const handle: DenoKvLike = {
    get: (key) => {
      counts.get++
      return kv.get(key)
    },
    getMany: (keys) => {
      counts.getMany++
      return kv.getMany(keys)
    },
    atomic: () => {
      counts.atomic++
      return kv.atomic()
    },
  }
  return { handle, counts }
}

/** Measures the valid-token read on Deno KV. */
export const denoKvHit: Section = async ({ settings, emulator }) => {
  heading(
    `deno-kv.hit: valid-token reads on Deno KV (@deno/kv, a local SQLite file), ${CONCURRENCY} concurrent loops`,
  )
  const dir = await mkdtemp(join(tmpdir(), 'bolt-bench-deno-kv-'))
  const kv = await openKv(join(dir, 'kv.sqlite3'), { implementation: 'sqlite' })
  const { handle, counts } = counted(kv)
  const store = createDenoKvStore(handle, { prefix: PREFIX })
  try {
    const manager = createTokenManager({ ...emulatorManagerOptions(emulator), store })
    const ids = sessionIds('deno-kv', CONCURRENCY)
    const tokens = await logInAll(emulator, manager, ids)

    const token = await manager.getAccessToken(ids[0] as string)
    const before = { ...counts }
    for (let i = 0; i < READS_COUNTED; i++) {
      if ((await manager.getAccessToken(ids[0] as string)) !== token) throw new Error('wrong token')
    }
    const reads = (counts.get - before.get + counts.getMany - before.getMany) / READS_COUNTED
    const writes = (counts.atomic - before.atomic) / READS_COUNTED
    console.log(`  KV operations per valid-token read: ${reads} reads, ${writes} commits`)

    // For each session, a copy of its entry under another key: the raw get reads as many
    // bytes as the store's own, without the library around it.
    const keys = ids.map((id) => [PREFIX, deriveStoreKey(EMULATOR_SECRET, id)] as const)
    const copies = keys.map(([prefix, key]) => [`${prefix}-copy`, key] as const)
    let entryBytes = 0
    for (const [i, key] of keys.entries()) {
      const entry = await kv.get<Uint8Array>(key)
      if (entry.value === null) throw new Error('the session entry is missing')
      entryBytes = entry.value.length
      await kv.set(copies[i] as readonly string[], entry.value, { expireIn: 3_600_000 })
    }
    const ops = {
      manager: async (loop: number) => {
        if ((await manager.getAccessToken(ids[loop] as string)) !== tokens[loop]) {
          throw new Error('wrong token')
        }
      },
      get: (loop: number) => kv.get(copies[loop] as readonly string[]),
    }
    const compared = await compareReads(
      settings,
      { manager: ops.manager, raw: ops.get },
      {
        concurrency: CONCURRENCY,
        what: `entry: ${entryBytes} bytes; one @deno/kv handle for both variants`,
        rawName: 'kv.get',
      },
    )
    const shape = `${CONCURRENCY} concurrent loops on one @deno/kv handle (SQLite file), median of ${settings.rounds} interleaved rounds`
    return {
      'deno-kv.hit.reads': measured(
        reads,
        'reads/read',
        `${READS_COUNTED} valid-token reads, KV calls counted on the handle (get + getMany; ${writes} commits per read)`,
      ),
      'deno-kv.hit.ops': measured(
        compared.manager,
        'ops/s',
        `getAccessToken on valid tokens, Deno KV store (one get of a ${entryBytes}-byte entry); ${shape}`,
      ),
      'deno-kv.raw-get.ops': measured(
        compared.raw,
        'ops/s',
        `raw @deno/kv get of a ${entryBytes}-byte Uint8Array (a copy of the same entry); ${shape}`,
      ),
      'deno-kv.hit.vs-raw-get': measured(
        compared.ratio,
        '×',
        `deno-kv.hit.ops / deno-kv.raw-get.ops, median of per-round ratios (${listRatios(compared.ratios)})`,
      ),
    }
  } finally {
    await store.close()
    kv.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The bench emulator runs on the defaults: the API key the managers' store keys derive from. */
const EMULATOR_SECRET = EMULATOR_DEFAULTS.clientSecret
