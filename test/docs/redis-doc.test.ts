// docs/redis.md shows the Redis store's warnings and a STORE_UNAVAILABLE message as the code
// writes them, and quotes its onWarning example from a test that runs it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import {
  evictionMessage,
  noCommandTimeoutMessage,
  uncheckedMessage,
} from '../../adapters/storage/redis-health.js'
import { storeUnavailable } from '../../src/errors.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const text = readFileSync(join(root, 'docs/redis.md'), 'utf8')
const at = 'Redis at 10.0.0.5:6379'

it("docs/redis.md's warning lines and STORE_UNAVAILABLE message are the code's", () => {
  const lines = [
    evictionMessage(at, 'allkeys-lru', 1_073_741_824),
    uncheckedMessage(at, 'NOPERM'),
    noCommandTimeoutMessage(at),
    storeUnavailable('read the session', Object.assign(new Error('x'), { storeLocation: at }))
      .message,
  ]
  const blocks = [...text.matchAll(/```text\n([\s\S]*?)\n\s*```/g)].map(([, body]) =>
    (body as string).trim(),
  )
  expect(blocks).toEqual(lines)
})

/** Each line without its indentation: the test indents what the docs show flush left. */
const lines = (code: string) =>
  code
    .split('\n')
    .map((line) => line.trim())
    .join('\n')

it('the onWarning example of docs/redis.md is quoted (but for indentation) from a test that runs it', () => {
  const blocks = [...text.matchAll(/```ts\n\/\/ quoted from (\S+)\n([\s\S]*?)```/g)]
  expect(blocks.map((block) => block[1])).toEqual(['test/redis/redis-health.test.ts'])
  for (const [, file, code] of blocks) {
    expect(lines(readFileSync(join(root, file as string), 'utf8'))).toContain(lines(code as string))
  }
})
