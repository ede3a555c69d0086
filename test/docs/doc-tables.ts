// What the docs tests that check a table of tests share (security.md's threat model,
// faults.md's fault matrix, operations.md's metrics): reading a table's rows, the tests a cell
// cites, and the titles of a test file's tests.
import { createContext, runInContext } from 'node:vm'

/** The rows of the table in `section` (its header row, whose first cell is `header`, skipped), as cells. */
export function tableRows(section: string, header: string): string[][] {
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith(`| ${header} `))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    )
}

/** Each `` `file` › "name" `` a cell cites. */
export function citations(cell: string): { file: string; name: string }[] {
  return [...cell.matchAll(/`(test\/[^`]+)` › "([^"]+)"/g)].map(([, file = '', name = '']) => ({
    file,
    name,
  }))
}

/**
 * The titles of a test file's tests (`it`, `test`, `itWithOwnRedisServer`): quoted titles as
 * written, template titles as they render with the file's top-level constants
 * (`const SESSIONS = 30`).
 */
export function testTitles(source: string): string[] {
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
