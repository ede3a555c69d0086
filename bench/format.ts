/**
 * Plain-text output: numbers and tables.
 *
 * @module
 */

/** `12,345`. */
export const int = (value: number): string => Math.round(value).toLocaleString('en-US')
/** `12.3 ms`. */
export const ms = (value: number): string => `${value.toFixed(1)} ms`
/** `0.933×`. */
export const ratio = (value: number): string => `${value.toFixed(3)}×`

/** A plain-text table; column 0 (and any in `left`) left-aligned, the others right-aligned. */
export function table(headers: string[], rows: string[][], left: readonly number[] = [0]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]) =>
    `  ${cells
      .map((cell, column) => {
        const width = widths[column] ?? 0
        return left.includes(column) ? cell.padEnd(width) : cell.padStart(width)
      })
      .join('  ')
      .trimEnd()}`
  return [
    line(headers),
    `  ${widths.map((width) => '-'.repeat(width)).join('  ')}`,
    ...rows.map(line),
  ].join('\n')
}

/** A section heading. */
export function heading(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 90 - title.length))}`)
}
