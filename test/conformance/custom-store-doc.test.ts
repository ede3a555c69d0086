import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('docs/testing.md, "Checking your own store"', () => {
  it('quotes custom-store.example.test.ts as it is (its leading comment aside)', () => {
    const example = read('test/conformance/custom-store.example.test.ts')
      .split('\n')
      .filter((line) => !line.startsWith('//'))
      .join('\n')
    const section = read('docs/testing.md').split('## Checking your own store')[1] ?? ''
    expect(section).toContain(`\`\`\`ts\n${example}\`\`\``)
  })
})
