/**
 * The matrix's results: a table on the console, `runtimes/results.json`, and the README's
 * block between `<!-- runtimes:start … -->` and `<!-- runtimes:end -->`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { repositoryLink } from '../../scripts/repository.js'
import { describeScenario, type Scenario } from '../smoke/scenario.js'

/** One row: a runtime and how its runs went. */
export interface RuntimeRow {
  /** `Node 24`, `workerd`, `workerd: Hono example`, … */
  runtime: string
  version: string
  /** What ran, e.g. `memory + fetch, memory + ky`. */
  exercised: string
  result: 'passed' | 'failed'
  /** Why it failed; empty when it passed. */
  problems: string[]
  durationMs: number
  /** `YYYY-MM-DD`. */
  date: string
  /** Each scenario's result, for runtimes that ran the smoke test. */
  scenarios?: { scenario: string; result: 'passed' | 'failed'; durationMs: number }[]
}

/** `memory + fetch, memory + ky` */
export function describeScenarios(scenarios: readonly Scenario[]): string {
  return scenarios.map(describeScenario).join(', ')
}

/** A Markdown table with padded columns (as the README's other tables). */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, 3, ...rows.map((row) => row[i]?.length ?? 0)),
  )
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  )
}

/** The table of results, as it goes into the README. */
export function resultsTable(rows: readonly RuntimeRow[]): string {
  return markdownTable(
    ['runtime', 'version', 'stores + transports exercised', 'result', 'date'],
    rows.map((row) => [
      row.runtime,
      row.version,
      row.exercised,
      row.result === 'passed' ? 'passed' : '**failed**',
      row.date,
    ]),
  )
}

/** The console's table: the README's columns plus how long each runtime took. */
export function consoleTable(rows: readonly RuntimeRow[]): string {
  return markdownTable(
    ['runtime', 'version', 'stores + transports', 'result', 'time'],
    rows.map((row) => [
      row.runtime,
      row.version,
      row.exercised,
      row.result,
      `${(row.durationMs / 1000).toFixed(1)} s`,
    ]),
  )
}

const START = /<!-- runtimes:start[^>]*-->/
const END = '<!-- runtimes:end -->'

/** Replaces what lies between the README's runtime markers, keeping the markers. */
export async function updateReadme(
  path: string,
  rows: readonly RuntimeRow[],
  versions: { redis: string; postgres: string },
): Promise<void> {
  const readme = await readFile(path, 'utf8')
  const start = START.exec(readme)
  const end = readme.indexOf(END)
  if (start === null || end < start.index) {
    throw new Error(`${path} has no <!-- runtimes:start … --> … ${END} block`)
  }
  const block = [
    'Each runtime runs the same lifecycle smoke test (login → refresh → view-only → step-up →',
    'logout) on the packed package against the Bolt emulator on loopback, asserting states and',
    'error codes; the emulator then confirms two logins, one refresh and no refresh-token reuse',
    `per run. The Redis store ran against Redis ${versions.redis}, the Upstash store against the same`,
    `Redis through a test server speaking Upstash's REST protocol, the PostgreSQL store against`,
    `PostgreSQL ${versions.postgres}, Deno KV on a local file and Durable Objects in workerd. workerd also serves the`,
    `[Hono example](${repositoryLink('examples/hono-workerd/')}) and its flow test. Produced by \`npm run test:runtimes\``,
    `on linux-x64 (see [runtimes/README.md](${repositoryLink('runtimes/README.md')})).`,
    '',
    resultsTable(rows),
  ].join('\n')
  const head = readme.slice(0, start.index + start[0].length)
  await writeFile(path, `${head}\n${block}\n${readme.slice(end)}`)
}

/** Writes the results as JSON. */
export async function writeResults(
  path: string,
  results: {
    date: string
    platform: string
    redis: string
    postgres: string
    durationMs: { install: number | null; package: number; runs: number; total: number }
    runtimes: readonly RuntimeRow[]
  },
): Promise<void> {
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`)
}
