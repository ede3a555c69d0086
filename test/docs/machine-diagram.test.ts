import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { and, createMachine, not, or, setup } from 'xstate'
import {
  arrowCounts,
  diagramBlock,
  fromRoot,
  lifecycleBlock,
  MACHINE_DOC_PATH,
  machineDoc,
  README_END,
  README_PATH,
  README_START,
} from '../../scripts/generate-docs.js'
import { listTransitions, toMermaid } from '../../src/machine/mermaid.js'
import {
  isSingleCallerTransition,
  type TokenState,
  tokenMachine,
} from '../../src/machine/token-machine.js'

const STATES: TokenState[] = [
  'unauthenticated',
  'codeExchange',
  'fullyScoped',
  'viewOnly',
  'expired',
  'refresh',
]

const lines = (text: string) => text.split('\n')

describe('the committed docs match the machine', () => {
  it('docs/machine.md is what `npm run docs` generates now', async () => {
    const committed = await readFile(fromRoot(MACHINE_DOC_PATH), 'utf8')
    expect(committed, 'docs/machine.md is stale: run npm run docs').toBe(machineDoc())
  })

  it("README.md's diagram is the generated one", async () => {
    const readme = await readFile(fromRoot(README_PATH), 'utf8')
    const start = readme.indexOf(README_START)
    const end = readme.indexOf(README_END)
    expect(start, `${README_PATH} lacks the line ${README_START}`).toBeGreaterThan(-1)
    expect(end, `${README_PATH} lacks the line ${README_END}`).toBeGreaterThan(start)
    const block = readme.slice(start + README_START.length + 1, end)
    expect(block, "README.md's diagram is stale: run npm run docs").toBe(lifecycleBlock())
    // It sits in its own section, right after the states table.
    const headings: string[] = readme.match(/^## .*/gm) ?? []
    expect(headings.indexOf('## The lifecycle at a glance')).toBe(
      headings.indexOf('## The six states') + 1,
    )
    // An absolute link (README.md is shown on npm), ending in the doc's path.
    expect(readme.slice(readme.indexOf('## The lifecycle at a glance'), start)).toContain(
      '/blob/main/docs/machine.md)',
    )
  })

  it('docs/machine.md carries both diagrams and one table row per transition', () => {
    const doc = machineDoc()
    expect(doc).toContain(diagramBlock())
    expect(doc).toContain(lifecycleBlock())
    const rows = lines(doc).filter((line) => /^\| (`|\*any|\s)/.test(line) && !line.includes('---'))
    // One row per transition, plus the row saying unauthenticated has none of its own.
    expect(rows).toHaveLength(listTransitions(tokenMachine).length + 1)
    expect(doc).toContain(
      '|  | `REFRESH_FAILED` | `refreshTokenRejected` | `unauthenticated` | `forgetTokens`, `recordError`, `releaseLease` |  |',
    )
    expect(doc).toContain('|  |  | *otherwise* | `expired` | `recordError`, `releaseLease` |  |')
    expect(doc).toContain(
      '| *any state* | `CODE_RECEIVED` |  | `codeExchange` | `takeLease`, `exchangeCode` |  |',
    )
    expect(doc).toContain(
      '|  | `EXCHANGE_ABANDONED` | `leaseEnded` | *(stays)* | `failAbandonedExchange` | concurrency |',
    )
  })

  it('the lifecycle a merchant sees is about 20 arrows; the whole machine adds what concurrency does', () => {
    expect(arrowCounts()).toEqual({ machine: 28, lifecycle: 15 })
    const lifecycle = lines(lifecycleBlock())
    for (const event of ['LEASE_TAKEN_OVER', 'EXCHANGE_ABANDONED', 'LATE_REFRESH_SUCCEEDED']) {
      expect(
        lifecycle.some((line) => line.includes(event)),
        event,
      ).toBe(false)
    }
    expect(lifecycle).toContain('  fullyScoped --> expired : ACCESS_TOKEN_REJECTED')
  })
})

describe('toMermaid', () => {
  const diagram = toMermaid(tokenMachine)
  const diagramLines = lines(diagram)

  it('is a stateDiagram-v2 with the initial arrow and every state', () => {
    expect(diagramLines[0]).toBe('stateDiagram-v2')
    expect(diagramLines[1]).toBe('  [*] --> unauthenticated')
    for (const state of STATES) expect(diagramLines).toContain(`  ${state}`)
    expect(diagram.endsWith('\n')).toBe(true)
    expect(diagram).not.toContain('```')
  })

  it('draws one arrow per transition candidate, labelled with the event and guard', () => {
    for (const line of [
      '  expired --> refresh : REFRESH_STARTED',
      '  refresh --> unauthenticated : REFRESH_FAILED [refreshTokenRejected]',
      '  refresh --> expired : REFRESH_FAILED',
      '  refresh --> viewOnly : REFRESH_SUCCEEDED',
      '  refresh --> refresh : LEASE_TAKEN_OVER [leaseEnded]',
      '  codeExchange --> fullyScoped : EXCHANGE_SUCCEEDED [tokensGrantManage]',
      '  codeExchange --> viewOnly : EXCHANGE_SUCCEEDED',
      '  codeExchange --> viewOnly : EXCHANGE_FAILED [hasKeptTokens]',
      '  codeExchange --> codeExchange : EXCHANGE_ABANDONED [leaseEnded]',
      '  fullyScoped --> expired : TIME_ADVANCED [accessTokenExpired]',
      '  viewOnly --> expired : ACCESS_TOKEN_REJECTED',
    ]) {
      expect(diagramLines).toContain(line)
    }
    const arrows = diagramLines.filter((line) => / --> /.test(line) && !line.includes('[*]'))
    expect(arrows).toHaveLength(listTransitions(tokenMachine).length)
  })

  it('draws the transitions of every state (CODE_RECEIVED, LOGOUT, the late outcomes) from one "any state"', () => {
    expect(diagramLines).toContain('  state "any state" as anyState')
    expect(diagramLines).toContain('  anyState --> codeExchange : CODE_RECEIVED')
    expect(diagramLines).toContain('  anyState --> unauthenticated : LOGOUT')
    expect(diagramLines).toContain(
      '  anyState --> viewOnly : LATE_REFRESH_SUCCEEDED [holdsSpentRefreshToken]',
    )
    expect(diagramLines).toContain(
      '  anyState --> unauthenticated : LATE_REFRESH_FAILED [holdsRejectedRefreshToken]',
    )
    expect(diagramLines).toContain('  class anyState inherited')
    // ...and once more from codeExchange and from refresh, which override it (the new login
    // remembers the login or the refresh it interrupted).
    expect(diagramLines.filter((line) => line.includes('CODE_RECEIVED'))).toEqual([
      '  codeExchange --> codeExchange : CODE_RECEIVED',
      '  refresh --> codeExchange : CODE_RECEIVED',
      '  anyState --> codeExchange : CODE_RECEIVED',
    ])
    expect(diagramLines.filter((line) => line.includes('LOGOUT'))).toHaveLength(1)
    // The late outcomes: once for every state, and codeExchange's own (it keeps its lease).
    expect(diagramLines.filter((line) => line.includes('LATE_REFRESH_'))).toHaveLength(5)
  })

  it('draws only the transitions a filter keeps, and every state still', () => {
    const single = lines(toMermaid(tokenMachine, { filter: isSingleCallerTransition }))
    for (const state of STATES) expect(single).toContain(`  ${state}`)
    const arrows = single.filter((line) => / --> /.test(line) && !line.includes('[*]'))
    expect(arrows).toHaveLength(
      listTransitions(tokenMachine).filter((t) => isSingleCallerTransition(t)).length,
    )
    expect(listTransitions(tokenMachine).find((t) => t.event === 'LEASE_TAKEN_OVER')?.meta).toEqual(
      {
        concurrent: true,
      },
    )
  })

  it('highlights a state with the `current` class', () => {
    const highlighted = lines(toMermaid(tokenMachine, { highlight: 'viewOnly' }))
    expect(highlighted.slice(-3)).toEqual([
      expect.stringMatching(/^ {2}classDef current fill:#\w+,stroke:#\w+,stroke-width:3px/),
      '  class viewOnly current',
      '',
    ])
    expect(diagramLines.some((line) => line.includes('current'))).toBe(false)
    // Everything else is unchanged.
    expect(highlighted.slice(0, -3)).toEqual(diagramLines.slice(0, -1))
    expect(() => toMermaid(tokenMachine, { highlight: 'loggedIn' })).toThrow(RangeError)
    expect(() => toMermaid(tokenMachine, { highlight: 'anyState' })).toThrow(
      "highlight 'anyState' is not a state of machine 'boltTokens'",
    )
  })

  it('sets the direction only when asked', () => {
    expect(lines(toMermaid(tokenMachine, { direction: 'LR' })).slice(0, 3)).toEqual([
      'stateDiagram-v2',
      '  direction LR',
      '  [*] --> unauthenticated',
    ])
    expect(diagram).not.toContain('direction')
  })

  it('is deterministic', () => {
    expect(toMermaid(tokenMachine)).toBe(diagram)
    for (const state of STATES) {
      expect(toMermaid(tokenMachine, { highlight: state })).toBe(
        toMermaid(tokenMachine, { highlight: state }),
      )
    }
  })

  it('names and/or/not guards, inline guards, targetless, eventless, delayed and nested transitions', () => {
    const machine = setup({
      types: { events: {} as { type: 'GO' } | { type: 'PING' } },
      guards: { ready: () => true, allowed: () => true, blocked: () => false },
    }).createMachine({
      id: 'sample',
      initial: 'idle',
      on: { PING: {} },
      states: {
        idle: {
          on: {
            GO: [
              { guard: and(['ready', or(['allowed', not('blocked')])]), target: 'busy' },
              {
                guard: function quick() {
                  return true
                },
                target: 'busy',
              },
              { guard: not('ready') },
            ],
          },
        },
        busy: {},
      },
    })
    expect(toMermaid(machine)).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> idle',
        '  idle',
        '  busy',
        '  state "any state" as anyState',
        '  idle --> busy : GO [ready and (allowed or not blocked)]',
        '  idle --> busy : GO [quick]',
        '  idle --> idle : GO [not ready]',
        '  anyState --> anyState : PING',
        '  classDef inherited fill:#fff,stroke:#888,stroke-width:1px,stroke-dasharray:4 3,color:#555',
        '  class anyState inherited',
        '',
      ].join('\n'),
    )
    const nested = createMachine({
      id: 'nested',
      initial: 'a',
      states: {
        a: { always: { target: 'b', guard: 'ready' }, after: { 500: 'b' } },
        b: { initial: 'x', on: { BACK: 'a' }, states: { x: { on: { NEXT: 'y' } }, y: {} } },
      },
    })
    expect(toMermaid(nested, { highlight: 'b_y' })).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> a',
        '  a',
        '  state b {',
        '    [*] --> b_x',
        '    b_x',
        '    b_y',
        '  }',
        '  a --> b : always [ready]',
        '  a --> b : after 500ms',
        '  b --> a : BACK',
        '  b_x --> b_y : NEXT',
        '  classDef current fill:#ffca28,stroke:#e65100,stroke-width:3px,color:#000,font-weight:bold',
        '  class b_y current',
        '',
      ].join('\n'),
    )
    expect(listTransitions(machine).at(-1)).toEqual({
      from: null,
      event: 'PING',
      to: null,
      guard: null,
      actions: [],
    })
  })
})
