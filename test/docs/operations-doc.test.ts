/**
 * docs/operations.md against the code: the metrics table against the definitions the manager
 * records with (and each row's tests against their titles), the attribute values against what
 * the metrics tests accept, the printed output against what examples/operations.ts prints, the
 * health check's default against the code, and the dashboard's names against the metrics.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { operations } from '../../examples/operations.js'
import { ErrorCode } from '../../src/errors.js'
import { DEFAULT_HEALTH_TIMEOUT_MS } from '../../src/manager/health.js'
import { METRICS, type MetricDefinition } from '../../src/telemetry/metrics.js'
import { ATTRIBUTE_VALUES } from '../support/metrics-reader.js'
import { citations, tableRows, testTitles } from './doc-tables.js'

const root = join(import.meta.dirname, '..', '..')
const doc = readFileSync(join(root, 'docs', 'operations.md'), 'utf8')
const definitions: MetricDefinition[] = Object.values(METRICS)

/** The text from `heading` to the next heading of its level or above. */
function section(heading: string): string {
  const start = doc.indexOf(`\n${heading}\n`)
  expect(start, heading).toBeGreaterThan(-1)
  const level = heading.split(' ')[0] ?? '##'
  const rest = doc.slice(start + heading.length + 2)
  const next = rest.search(new RegExp(`^#{2,${level.length}} `, 'm'))
  return next === -1 ? rest : rest.slice(0, next)
}

/** The backticked names in a cell, in order. */
const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(([, name = '']) => name)

/** The block after `<!-- output: examples/operations.ts <part> -->`. */
function outputBlock(part: string): string {
  const marker = `<!-- output: examples/operations.ts ${part} -->\n`
  const at = doc.indexOf(marker)
  expect(at, marker).toBeGreaterThan(-1)
  const block = /^```\w+\n([\s\S]*?)\n```/.exec(doc.slice(at + marker.length))
  return block?.[1] ?? ''
}

describe('docs/operations.md', () => {
  it('lists every metric the manager records, as it defines them, each with tests that exist', () => {
    const rows = tableRows(section('### The metrics'), 'metric')
    expect(rows.map((row) => row.length)).toEqual(definitions.map(() => 6))
    expect(
      rows.map(([name = '', instrument = '', unit = '', attributes = '']) => ({
        name: names(name)[0],
        instrument,
        unit: names(unit)[0],
        attributes: attributes === 'none' ? [] : names(attributes),
      })),
    ).toEqual(
      definitions.map(({ name, instrument, unit, attributes }) => ({
        name,
        instrument,
        unit,
        attributes: [...attributes],
      })),
    )
    for (const row of rows) {
      const cited = citations(row[5] ?? '')
      expect(cited, `a test for ${row[0]}`).not.toEqual([])
      for (const { file, name } of cited) {
        expect(existsSync(join(root, file)), file).toBe(true)
        expect(testTitles(readFileSync(join(root, file), 'utf8')), `${file} › ${name}`).toContain(
          name,
        )
      }
    }
  })

  it('lists the values each attribute may hold, as the metrics tests accept them', () => {
    const rows = tableRows(section('### Attribute values'), 'attribute')
    const documented: Record<string, string> = Object.fromEntries(
      rows.map(([key = '', values = '']) => [names(key)[0] ?? '', values]),
    )
    const used = new Set(definitions.flatMap((definition) => definition.attributes))
    expect(new Set(Object.keys(documented))).toEqual(used)
    expect(new Set(Object.keys(ATTRIBUTE_VALUES))).toEqual(used)
    for (const [key, values] of Object.entries(documented)) {
      const accepted = ATTRIBUTE_VALUES[key] ?? []
      if (key === 'bolt.oauth.outcome') {
        // `ok`, or any error code: the table says so and links the list.
        expect(accepted).toEqual(['ok', ...Object.values(ErrorCode)])
        expect(values).toBe('`ok`, or the [error code](errors.md) the call failed with')
      } else {
        expect(names(values), key).toEqual([...accepted])
      }
    }
  })

  it('shows what examples/operations.ts prints', async () => {
    const printed = await operations()
    expect(outputBlock('metrics').split('\n')).toEqual(printed.metrics)
    const shown = JSON.parse(outputBlock('health')) as typeof printed.health
    const withoutLatency = (report: typeof printed.health) => ({
      ...report,
      store: { ...report.store, latencyMs: 0 },
      bolt: { ...report.bolt, latencyMs: 0 },
    })
    expect(withoutLatency(shown)).toEqual(withoutLatency(printed.health))
  })

  it('states the health check’s default deadline', () => {
    expect(section('## The health check')).toContain(
      `(default ${DEFAULT_HEALTH_TIMEOUT_MS} ms, below Kubernetes' default probe`,
    )
  })

  it('queries on the dashboard only metrics and labels that exist, under their Prometheus names', () => {
    const prometheus = (name: string) => name.replaceAll('.', '_')
    const known = new Set<string>()
    for (const { name, instrument, unit, attributes } of definitions) {
      const base = prometheus(name) + (unit === 's' ? '_seconds' : '')
      if (instrument === 'Counter') known.add(`${base}_total`)
      else if (instrument === 'Histogram') {
        for (const suffix of ['_bucket', '_count', '_sum']) known.add(base + suffix)
      } else known.add(base)
      for (const attribute of attributes) known.add(prometheus(attribute))
    }
    const dashboard = section('## The dashboard')
    const used = new Set(dashboard.match(/\bbolt_[a-z_]+\b/g))
    expect(used.size).toBeGreaterThanOrEqual(10)
    for (const name of used) expect(known, name).toContain(name)
  })

  it('references the operations panel’s screenshot, which exists', () => {
    expect(doc).toContain('](images/operations-panel.png)')
    expect(existsSync(join(root, 'docs', 'images', 'operations-panel.png'))).toBe(true)
  })
})
