// docs/stores/deno-kv.md quotes its setup code from files that tests run: each quoted block
// names its file on its first line and must appear in that file as it is.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

it('the setup code of docs/stores/deno-kv.md is quoted verbatim from tested files', () => {
  const text = readFileSync(join(root, 'docs/stores/deno-kv.md'), 'utf8')
  const blocks = [...text.matchAll(/```ts\n\/\/ quoted from (\S+)\n([\s\S]*?)```/g)]
  expect(blocks.map((block) => block[1])).toEqual([
    'runtimes/smoke/deno-kv-store.ts',
    'test/multiprocess/stores/deno-kv.ts',
  ])
  for (const [, file, code] of blocks) {
    expect(readFileSync(join(root, file as string), 'utf8')).toContain(code)
  }
})
