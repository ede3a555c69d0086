// The Deno KV store of a worker process: its own @deno/kv handle on the SQLite file every
// instance shares, on the shared prefix.
import { openKv } from '@deno/kv'
import { createDenoKvStore } from '../../../adapters/storage/deno-kv.js'
import type { OpenedWorkerStore } from './index.js'

/** The options of {@link openStore} (they cross the process boundary as JSON). */
export interface DenoKvWorkerStoreOptions {
  /** The KV file every instance opens. */
  path: string
  /** The key prefix every instance shares. */
  prefix: string
}

/** Opens a handle of its own on the file, then builds the store on the shared prefix. */
export async function openStore(options: DenoKvWorkerStoreOptions): Promise<OpenedWorkerStore> {
  const kv = await openKv(options.path, { implementation: 'sqlite' })
  const store = createDenoKvStore(kv, { prefix: options.prefix })
  return {
    store,
    close: async () => {
      await store.close()
      kv.close()
    },
  }
}
