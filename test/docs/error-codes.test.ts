import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/errors.js'

const root = join(import.meta.dirname, '..', '..')

describe('docs/errors.md', () => {
  it('has an entry for every error code, and none for a code that does not exist', () => {
    const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
    const documented = [...text.matchAll(/^### `([A-Z_]+)`$/gm)].map(([, code]) => code)
    expect(documented.sort()).toEqual(Object.values(ErrorCode).sort())
  })
})
