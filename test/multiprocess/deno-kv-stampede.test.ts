import { createDenoKvStore } from '../../adapters/storage/deno-kv.js'
import { openTestKv, randomKvPrefix, tempKvPath } from '../support/deno-kv.js'
import type { SharedStore } from './scenario.js'
import { stampedeTest } from './stampede.js'
import type { DenoKvWorkerStoreOptions } from './stores/deno-kv.js'

/** Deno KV on a fresh SQLite file, opened here through @deno/kv and by each worker. */
async function sharedDenoKvStore(): Promise<SharedStore> {
  const path = tempKvPath()
  const kv = await openTestKv(path)
  const options: DenoKvWorkerStoreOptions = { path, prefix: randomKvPrefix() }
  const store = createDenoKvStore(kv, { prefix: options.prefix })
  return { store, close: () => store.close(), worker: { module: 'deno-kv', options } }
}

stampedeTest(sharedDenoKvStore, 'Deno KV on one SQLite file (@deno/kv)')
