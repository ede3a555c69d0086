import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { tokenMachine } from '../../src/machine/token-machine.js'
import { resolveOptions } from '../../src/manager/options.js'
import { CALL_DEADLINE_LEASES } from '../../src/manager/refresh-protocol.js'
import { PAUSE_JITTER } from '../../src/manager/request-gate.js'
import { lifecyclePaths, lifecycleTransitions } from '../../src/testing/lifecycle-model.js'

const root = join(import.meta.dirname, '..', '..')
const WORDS: Record<string, number> = { six: 6, seven: 7, eight: 8 }

/** The prose a merchant reads: the README and every guide. */
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]

/** The machine's own counts: what any count in prose must say. */
const truth = {
  states: Object.keys(tokenMachine.config.states ?? {}).length,
  transitions: lifecycleTransitions().length,
  paths: lifecyclePaths().length,
}

describe('counts in prose', () => {
  it.each(pages)('%s states only counts of states, transitions and paths that are true', (page) => {
    const text = readFileSync(join(root, page), 'utf8')
    for (const [, number = '', noun = ''] of text.matchAll(
      /\b(\d+|six|seven|eight)\s+(?:of\s+(?:its|the\s+machine's)\s+)?(states|transitions|paths)\b/gi,
    )) {
      const stated = WORDS[number.toLowerCase()] ?? Number(number)
      expect(stated, `${page}: "${number} ${noun}"`).toBe(
        truth[noun.toLowerCase() as keyof typeof truth],
      )
    }
  })

  it('knows the machine has six states, as the README says', () => {
    expect(truth.states).toBe(6)
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('## The six states')
  })
})

describe('figures in prose', () => {
  it("docs/redis.md's call deadline is the code's: CALL_DEADLINE_LEASES × the default leaseMs", () => {
    const { leaseMs } = resolveOptions(
      { clientId: 'pk', clientSecret: 'sk' },
      { store: () => createMemoryStore(), http: () => createFetchTransport() },
    )
    const seconds = (CALL_DEADLINE_LEASES * leaseMs) / 1000
    const text = readFileSync(join(root, 'docs/redis.md'), 'utf8')
    expect(text).toContain(
      `ends within ${CALL_DEADLINE_LEASES} × \`leaseMs\` (${seconds} s by default)`,
    )
  })

  it("the README's maxRefreshesInFlight default, and docs/errors.md's pause jitter, are the code's", () => {
    const { maxRefreshesInFlight } = resolveOptions(
      { clientId: 'pk', clientSecret: 'sk' },
      { store: () => createMemoryStore(), http: () => createFetchTransport() },
    )
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    expect(readme).toContain(`| \`maxRefreshesInFlight\` | \`${maxRefreshesInFlight}\` |`)
    expect(PAUSE_JITTER).toBe(0.25)
    expect(readFileSync(join(root, 'docs/errors.md'), 'utf8')).toContain(
      '(plus up to a\n  quarter at random)',
    )
  })
})
