// What the docs tests that check a table of tests share (security.md's threat model,
// faults.md's fault matrix): reading a table's rows, and the tests a cell cites.

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
