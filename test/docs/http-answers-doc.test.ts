// docs/errors.md's table of the examples' HTTP answers is httpAnswerFor's: each ErrorCode is in
// one row, with the status and the body's `error` that the library answers it with.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BoltTokenError, ErrorCode } from '../../src/errors.js'
import { httpAnswerFor } from '../../src/http-answers.js'
import { tableRows } from './doc-tables.js'

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8')
const section = doc.slice(
  doc.indexOf('## The HTTP answers of the examples'),
  doc.indexOf('\n## ', doc.indexOf('## The HTTP answers of the examples') + 1),
)
const rows = tableRows(section, 'error')

/** The row naming `code`, as [status, the body's error, the headers cell]. */
function documented(code: string): [number, string, string][] {
  return rows
    .filter((row) =>
      [...(row[0] ?? '').matchAll(/`([A-Z_]+)`/g)].some(([, named]) => named === code),
    )
    .map((row) => [
      Number(row[1]),
      /error: '([A-Z_]+)'/.exec(row[2] ?? '')?.[1] ?? '',
      (row[3] ?? '').trim(),
    ])
}

describe("docs/errors.md's HTTP answers", () => {
  // ACCOUNT_API_ERROR is answered by Bolt's status, in the prose under the table.
  const codes = Object.values(ErrorCode).filter((code) => code !== 'ACCOUNT_API_ERROR')

  it.each(codes)('%s: one row, with httpAnswerFor’s status and error', (code) => {
    const answer = httpAnswerFor(new BoltTokenError(code, 'a message'))
    expect(documented(code)).toEqual([
      [answer.status, answer.body.error, 'retry-after' in answer.headers ? '`Retry-After`' : ''],
    ])
  })
})
