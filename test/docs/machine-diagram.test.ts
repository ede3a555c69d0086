import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { and, createMachine, not, or, setup } from 'xstate'
import {
  diagramBlock,
  fromRoot,
  MACHINE_DOC_PATH,
  machineDoc,
  README_END,
  README_PATH,
  README_START,
} from '../../scripts/generate-docs.js'
import { listTransitions, toMermaid } from '../../src/machine/mermaid.js'
import { type TokenState, tokenMachine } from '../../src/machine/token-machine.js'

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
    expect(block, "README.md's diagram is stale: run npm run docs").toBe(diagramBlock())
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

  it('docs/machine.md carries the same diagram and one table row per transition', () => {
    const doc = machineDoc()
    expect(doc).toContain(diagramBlock())
    const rows = lines(doc).filter((line) => /^\| (`|\*any|\s)/.test(line) && !line.includes('---'))
    // 17 transitions, plus the row saying unauthenticated has none of its own.
    expect(rows).toHaveLength(listTransitions(tokenMachine).length + 1)
    expect(doc).toContain(
      '|  | `REFRESH_FAILED` | `sessionEnded` | `unauthenticated` | `forgetTokens`, `recordError`, `releaseLease` |',
    )
    expect(doc).toContain(
      '|  |  | `reportedUnderLease` | `expired` | `recordError`, `releaseLease` |',
    )
    expect(doc).toContain(
      '| *any state* | `CODE_RECEIVED` |  | `codeExchange` | `takeLease`, `exchangeCode` |',
    )
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
      '  refresh --> unauthenticated : REFRESH_FAILED [sessionEnded]',
      '  refresh --> expired : REFRESH_FAILED [reportedUnderLease]',
      '  refresh --> viewOnly : REFRESH_SUCCEEDED',
      '  refresh --> refresh : LEASE_TAKEN_OVER [leaseExpired]',
      '  codeExchange --> fullyScoped : EXCHANGE_SUCCEEDED [grantsManage]',
      '  codeExchange --> viewOnly : EXCHANGE_SUCCEEDED',
      '  codeExchange --> fullyScoped : LEASE_TAKEN_OVER [leaseExpired and keptTokensCanManage]',
      '  codeExchange --> viewOnly : LEASE_TAKEN_OVER [leaseExpired and keptTokens]',
      '  fullyScoped --> expired : TIME_ADVANCED [accessTokenExpired]',
    ]) {
      expect(diagramLines).toContain(line)
    }
    const arrows = diagramLines.filter((line) => / --> /.test(line) && !line.includes('[*]'))
    // 27 of the six states, 2 from any state.
    expect(arrows).toHaveLength(29)
    expect(arrows).toHaveLength(listTransitions(tokenMachine).length)
  })

  it('draws the transitions of every state (CODE_RECEIVED, LOGOUT) from one "any state"', () => {
    expect(diagramLines).toContain('  state "any state" as anyState')
    expect(diagramLines).toContain('  anyState --> codeExchange : CODE_RECEIVED')
    expect(diagramLines).toContain('  anyState --> unauthenticated : LOGOUT')
    expect(diagramLines).toContain('  class anyState inherited')
    // ...and once more from refresh, which overrides it (the login remembers the refresh).
    expect(diagramLines.filter((line) => line.includes('CODE_RECEIVED'))).toEqual([
      '  refresh --> codeExchange : CODE_RECEIVED',
      '  anyState --> codeExchange : CODE_RECEIVED',
    ])
    expect(diagramLines.filter((line) => line.includes('LOGOUT'))).toHaveLength(1)
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
