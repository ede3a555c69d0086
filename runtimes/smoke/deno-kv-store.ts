/** The Deno KV store on `Deno.openKv(path)`, for Deno (a local SQLite file). */
import { createDenoKvStore, type DenoKvLike, type DenoKvStore } from 'bolt-token-lifecycle/deno-kv'

/** The part of Deno's namespace used here (the smoke test is checked without Deno's types). */
interface DenoKvNamespace {
  openKv(path: string): Promise<DenoKvLike & { close(): void }>
}

/** A Deno KV store on the file at `path`, whose `close()` also closes the KV handle. */
export async function openDenoKvStore(path: string): Promise<DenoKvStore> {
  const { Deno } = globalThis as unknown as { Deno: DenoKvNamespace }
  const kv = await Deno.openKv(path)
  const store = createDenoKvStore(kv, { prefix: `bolt-runtimes-${crypto.randomUUID()}` })
  return {
    ...store,
    async close() {
      await store.close()
      kv.close()
    },
  }
}
