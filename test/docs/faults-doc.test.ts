import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createContext, runInContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { citations, tableRows } from './doc-tables.js'

const root = join(import.meta.dirname, '..', '..')
const doc = readFileSync(join(root, 'docs', 'faults.md'), 'utf8')

/** The rows of the fault matrix: [fault, shopper, merchant, test]. */
function matrixRows(): string[][] {
  const start = doc.indexOf('## The matrix')
  const end = doc.indexOf('\n## ', start + 1)
  return tableRows(doc.slice(start, end === -1 ? undefined : end), 'fault')
}

/**
 * The titles of a test file's tests (`it`, `test`, `itWithOwnRedisServer`): quoted titles as
 * written, template titles as they render with the file's top-level constants
 * (`const SESSIONS = 30`).
 */
function testTitles(source: string): string[] {
  const context = createContext({})
  for (const [, name = '', value = ''] of source.matchAll(/^const ([A-Z][A-Z0-9_]*) = (.+)$/gm)) {
    try {
      runInContext(`var ${name} = ${value}`, context)
    } catch {
      // not a plain value (an import, a call): no title uses it
    }
  }
  const titles: string[] = []
  const call = /\b(?:it|test|itWithOwnRedisServer)(?:\.\w+)*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g
  for (const [, quote = '', raw = ''] of source.matchAll(call)) {
    if (quote !== '`') titles.push(raw.replace(/\\(.)/g, '$1'))
    else {
      try {
        titles.push(String(runInContext(`\`${raw}\``, context)))
      } catch {
        // a title built from a loop's variables: cite a literal title instead
      }
    }
  }
  return titles
}

describe('docs/faults.md', () => {
  const rows = matrixRows()

  it('names a test for every fault', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30)
    for (const row of rows) {
      expect(row, `a row with four cells: ${row[0]}`).toHaveLength(4)
      expect(citations(row[3] ?? ''), `a test for: ${row[0]}`).not.toEqual([])
    }
  })

  it('covers store, Bolt and process faults', () => {
    const kinds = new Set(rows.map((row) => row[0]?.split(':')[0]))
    expect(kinds).toEqual(new Set(['Store', 'Bolt', 'Process']))
  })

  it('every cited test exists, under the title the table gives', () => {
    for (const { file, name } of rows.flatMap((row) => citations(row[3] ?? ''))) {
      expect(existsSync(join(root, file)), file).toBe(true)
      const source = readFileSync(join(root, file), 'utf8')
      expect(testTitles(source), `${file} › ${name}`).toContain(name)
    }
  })
})
