// The few Deno APIs the scripts of this folder call (they run on Deno, bundled by
// ../on-deno.test.ts; the repository's type checks run with Node's types, not Deno's).
import type { DenoKvLike } from '../../../adapters/storage/deno-kv.js'

/** A Deno KV handle: what the store needs, and `close`. */
export type DenoKv = DenoKvLike & { close(): void }

interface DenoNamespace {
  args: string[]
  openKv(path?: string): Promise<DenoKv>
  exit(code?: number): never
  stdin: { readable: ReadableStream<Uint8Array> }
}

/** `globalThis.Deno`. */
export const Deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno

/** The first line of stdin (without its newline). */
export async function readLine(): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  const reader = Deno.stdin.readable.getReader()
  try {
    while (!text.includes('\n')) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    reader.releaseLock()
  }
  return text.split('\n')[0] ?? ''
}
