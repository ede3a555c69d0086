// What the Deno KV tests on Node share: `@deno/kv` handles on temp SQLite files, closed (and
// the files removed) after the test file. Real Deno KV only (SQLite through @deno/kv's native
// module); never its in-memory JS implementation.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openKv } from '@deno/kv'
import { afterAll } from 'vitest'

/** A Deno KV handle of `@deno/kv`. */
export type NodeKv = Awaited<ReturnType<typeof openKv>>

const handles: NodeKv[] = []
const dirs: string[] = []

afterAll(() => {
  for (const kv of handles.splice(0)) kv.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A path for a new KV file in a temp folder removed after the test file. */
export function tempKvPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bolt-deno-kv-'))
  dirs.push(dir)
  return join(dir, 'kv.sqlite3')
}

/** Opens `path` (SQLite, through @deno/kv's native module); closed after the test file. */
export async function openTestKv(path: string): Promise<NodeKv> {
  const kv = await openKv(path, { implementation: 'sqlite' })
  handles.push(kv)
  return kv
}

/** A prefix no other test shares, e.g. `test-3f9a1c2b7d4e`. */
export function randomKvPrefix(): string {
  return `test-${randomBytes(6).toString('hex')}`
}
