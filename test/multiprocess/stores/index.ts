// Which store a worker process uses: a module of this folder, named in its configuration, that
// exports `openStore(options)`. One module per store, so adding a store touches no other file.
import type { TokenStore } from '../../../src/contracts.js'

/** A worker's store, and how to let go of it when the worker exits. */
export interface OpenedWorkerStore {
  store: TokenStore
  close(): Promise<void>
}

/** Names the module of this folder (`redis` for `./redis.ts`) and the options it is given. */
export interface WorkerStoreConfig {
  module: string
  options: unknown
}

/** Loads `./<module>.ts` and opens its store. */
export async function openWorkerStore(config: WorkerStoreConfig): Promise<OpenedWorkerStore> {
  if (!/^[a-z][a-z0-9-]*$/.test(config.module))
    throw new Error(`config.store.module must name a file of test/multiprocess/stores`)
  const loaded = (await import(`./${config.module}.ts`)) as {
    openStore(options: unknown): Promise<OpenedWorkerStore>
  }
  return loaded.openStore(config.options)
}
