import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { citations, tableRows } from './doc-tables.js'

const root = join(import.meta.dirname, '..', '..')
const doc = readFileSync(join(root, 'docs', 'security.md'), 'utf8')

/** The rows of the threat model table: [threat, what the library does, test]. */
function threatRows(): string[][] {
  return tableRows(
    doc.slice(doc.indexOf('## Threat model'), doc.indexOf('Out of scope:')),
    'threat',
  )
}

describe('docs/security.md', () => {
  const rows = threatRows()

  it('names a test for every threat', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20)
    for (const row of rows) {
      expect(row, `a row with three cells: ${row[0]}`).toHaveLength(3)
      expect(citations(row[2] ?? ''), `a test for: ${row[0]}`).not.toEqual([])
    }
  })

  it('every cited test exists, under the name the table gives', () => {
    for (const { file, name } of rows.flatMap((row) => citations(row[2] ?? ''))) {
      expect(existsSync(join(root, file)), file).toBe(true)
      expect(readFileSync(join(root, file), 'utf8'), `${file} › ${name}`).toContain(name)
    }
  })
})
