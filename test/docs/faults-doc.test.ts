import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { citations, tableRows, testTitles } from './doc-tables.js'

const root = join(import.meta.dirname, '..', '..')
const doc = readFileSync(join(root, 'docs', 'faults.md'), 'utf8')

/** The rows of the fault matrix: [fault, shopper, merchant, test]. */
function matrixRows(): string[][] {
  const start = doc.indexOf('## The matrix')
  const end = doc.indexOf('\n## ', start + 1)
  return tableRows(doc.slice(start, end === -1 ? undefined : end), 'fault')
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
