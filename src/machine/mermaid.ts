/**
 * The machine as a picture: a Mermaid `stateDiagram-v2` read off the machine definition at
 * runtime, so the diagram in the docs, the README and the playground can never drift from
 * the code.
 *
 * Pure and runtime-neutral (no Node APIs): it only walks the state nodes XState built.
 *
 * @module
 */
import { type AnyStateMachine, type AnyStateNode, and, not, or, stateIn } from 'xstate'

/**
 * One transition candidate of a machine: a possible arrow of its diagram.
 *
 * Guarded branches of one event are separate candidates, in the order XState tries them.
 * @group Machine
 */
export interface MachineTransition {
  /**
   * The state the arrow starts at (a state key; a `_`-joined path for nested states), or
   * `null` for a transition of the machine's top-level `on`, which applies in every state.
   */
  from: string | null
  /** The event that triggers it, e.g. `REFRESH_FAILED` (`always` for eventless ones, `after 500ms` for delayed ones). */
  event: string
  /**
   * The state it leads to (equal to `from` for a self-transition), or `null` for a targetless
   * transition, which runs its actions and stays in whatever state it was taken in.
   */
  to: string | null
  /** The guard as readable text, e.g. `sessionEnded` or `leaseExpired and keptTokens`; `null` when unguarded. */
  guard: string | null
  /** The names of the actions it runs, in order. */
  actions: string[]
  /** The transition's `meta`, as the machine defines it (`undefined` when it has none). */
  meta?: unknown
}

/**
 * Options of {@link toMermaid}.
 * @group Machine
 */
export interface ToMermaidOptions {
  /**
   * A state to mark as the current one: it gets the `current` class (a filled, thick-bordered
   * box), and the SVG node Mermaid draws for it carries the class `current`.
   *
   * @throws {RangeError} from {@link toMermaid} when the machine has no such state.
   */
  highlight?: string
  /**
   * Layout direction. Omitted, the diagram has no `direction` line and Mermaid lays it out
   * top to bottom.
   */
  direction?: 'LR' | 'TB'
  /**
   * Draws only the transitions for which this returns `true` (every state is still drawn),
   * e.g. a simpler picture that leaves out the transitions only concurrency causes.
   */
  filter?: (transition: MachineTransition) => boolean
}

/** The highlighted state: a filled box with a thick border, readable on light and dark themes. */
const CURRENT_STYLE = 'fill:#ffca28,stroke:#e65100,stroke-width:3px,color:#000,font-weight:bold'
/** The "any state" pseudo-state: dashed, so it does not read as one of the machine's states. */
const ANY_STATE_STYLE = 'fill:#fff,stroke:#888,stroke-width:1px,stroke-dasharray:4 3,color:#555'

// `and`, `or`, `not` and `stateIn` return functions whose `check` is one shared module-level
// function per kind: comparing with it is how XState itself tells them apart, and it does not
// depend on function names (which a minifier may change).
const checkOf = (guard: unknown): unknown => (guard as { check?: unknown }).check
const CHECK_AND = checkOf(and([]))
const CHECK_OR = checkOf(or([]))
const CHECK_NOT = checkOf(not(() => true))
const CHECK_STATE_IN = checkOf(stateIn('x'))

/** A guard as text: a name, `a and b`, `a or b`, `not a`, `in(state)`; nested ones in parentheses. */
function describeGuard(guard: unknown, nested = false): string {
  if (typeof guard === 'string') return guard
  if (typeof guard === 'function') {
    const { guards, stateValue } = guard as { guards?: unknown[]; stateValue?: unknown }
    const check = checkOf(guard)
    if ((check === CHECK_AND || check === CHECK_OR) && Array.isArray(guards)) {
      const text = guards
        .map((inner) => describeGuard(inner, true))
        .join(check === CHECK_AND ? ' and ' : ' or ')
      return nested && guards.length > 1 ? `(${text})` : text
    }
    if (check === CHECK_NOT && Array.isArray(guards)) return `not ${describeGuard(guards[0], true)}`
    if (check === CHECK_STATE_IN) return `in(${JSON.stringify(stateValue)})`
    return guard.name === '' ? 'inline guard' : guard.name
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    return String((guard as { type: unknown }).type)
  }
  return 'guard'
}

function describeAction(action: unknown): string {
  if (typeof action === 'string') return action
  if ((typeof action === 'object' || typeof action === 'function') && action !== null) {
    const { type } = action as { type?: unknown }
    if (typeof type === 'string') return type
    if (typeof action === 'function' && action.name !== '') return action.name
  }
  return 'inline action'
}

/** A Mermaid-safe name for a state node: its key at the top level, its path below. */
function nameOf(node: AnyStateNode): string {
  return node.path.join('_')
}

/** Every state node under `node` (excluding it), depth first, in definition order. */
function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states as Record<string, AnyStateNode>).flatMap((child) => [
    child,
    ...descendants(child),
  ])
}

type Definition = AnyStateNode['transitions'] extends Map<string, (infer T)[]> ? T : never

function definitionsOf(node: AnyStateNode): Definition[] {
  return [...(node.always ?? []), ...[...node.transitions.values()].flat()]
}

/** `always` for eventless transitions, `after 500ms` for delayed ones, else the event type. */
function describeEvent(eventType: unknown): string {
  const type = String(eventType)
  if (type === '') return 'always'
  const delay = /^xstate\.after\.([^.]+)\./.exec(type)?.[1]
  if (delay === undefined) return type
  return /^\d+$/.test(delay) ? `after ${delay}ms` : `after ${delay}`
}

function toTransitions(definition: Definition, from: AnyStateNode | null): MachineTransition[] {
  const name = from === null ? null : nameOf(from)
  const targets = definition.target ?? []
  const describe = (to: string | null): MachineTransition => ({
    from: name,
    event: describeEvent(definition.eventType),
    to,
    guard: definition.guard === undefined ? null : describeGuard(definition.guard),
    actions: definition.actions.map(describeAction),
    ...(definition.meta === undefined ? {} : { meta: definition.meta }),
  })
  if (targets.length === 0) return [describe(null)]
  return targets.map((target) => describe(nameOf(target)))
}

/**
 * Lists every transition candidate of a machine, in a stable order: state by state in
 * definition order (event by event, guarded branches in the order XState tries them), then
 * those of the machine's top-level `on` (`from: null`), which apply in every state.
 *
 * @example
 * ```ts
 * import { listTransitions, tokenMachine } from 'bolt-token-lifecycle/machine'
 *
 * listTransitions(tokenMachine).filter((t) => t.from === 'refresh')
 * // [{ from: 'refresh', event: 'REFRESH_SUCCEEDED', to: 'viewOnly', guard: null, … }, …]
 * ```
 * @group Machine
 */
export function listTransitions(machine: AnyStateMachine): MachineTransition[] {
  const root = machine.root as AnyStateNode
  return [
    ...descendants(root).flatMap((node) =>
      definitionsOf(node).flatMap((definition) => toTransitions(definition, node)),
    ),
    ...definitionsOf(root).flatMap((definition) => toTransitions(definition, null)),
  ]
}

/** Mermaid treats these as syntax inside a transition label. */
function label(text: string): string {
  return text.replace(/[;:#]/g, ' ')
}

function declareStates(node: AnyStateNode, indent: string, lines: string[]): void {
  for (const child of Object.values(node.states as Record<string, AnyStateNode>)) {
    const children = Object.values(child.states as Record<string, AnyStateNode>)
    if (children.length === 0) {
      lines.push(`${indent}${nameOf(child)}`)
      continue
    }
    lines.push(`${indent}state ${nameOf(child)} {`)
    const initial = child.initial?.target[0]
    if (initial !== undefined) lines.push(`${indent}  [*] --> ${nameOf(initial)}`)
    declareStates(child, `${indent}  `, lines)
    lines.push(`${indent}}`)
  }
}

/**
 * Draws a machine as a Mermaid `stateDiagram-v2`: the initial arrow (`[*] --> unauthenticated`),
 * every state, and one arrow per transition candidate, labelled with its event and, when it has
 * one, its guard in brackets:
 *
 * ```
 * refresh --> unauthenticated : REFRESH_FAILED [sessionEnded]
 * codeExchange --> viewOnly : LEASE_TAKEN_OVER [leaseExpired and keptTokens]
 * ```
 *
 * Transitions of the machine's top-level `on` (here `CODE_RECEIVED` and `LOGOUT`) start at one
 * dashed pseudo-state labelled "any state":
 *
 * ```
 * anyState --> codeExchange : CODE_RECEIVED
 * ```
 *
 * The output is deterministic (definition order, no generated ids or timestamps), so a copy
 * can be committed and compared in a test. Lines end with `\n`; there is no code fence.
 *
 * @param machine - Any XState v5 machine, e.g. {@link tokenMachine}.
 * @param options - See {@link ToMermaidOptions}.
 * @returns The diagram source, for a ```` ```mermaid ```` block or `mermaid.render()`.
 * @throws {RangeError} when `options.highlight` is not a state of the machine.
 *
 * @example
 * ```ts
 * import { tokenMachine, toMermaid } from 'bolt-token-lifecycle/machine'
 *
 * const { state } = await tokens.getStatus(sessionId)
 * const diagram = toMermaid(tokenMachine, { highlight: state })
 * ```
 * @group Machine
 */
export function toMermaid(machine: AnyStateMachine, options: ToMermaidOptions = {}): string {
  const root = machine.root as AnyStateNode
  const names = descendants(root).map(nameOf)
  const { highlight, direction, filter = () => true } = options
  if (highlight !== undefined && !names.includes(highlight)) {
    throw new RangeError(
      `toMermaid: highlight '${highlight}' is not a state of machine '${root.id}' (states: ${names.join(', ')}).`,
    )
  }
  const transitions = listTransitions(machine).filter(filter)
  // Drawn once per state, the top-level transitions tripled the arrows (6 states x 2 events)
  // into a tangle where Mermaid's labels hid each other; as a note, codeExchange looked
  // unreachable. One pseudo-state keeps every arrow true and the picture readable.
  let anyState = 'anyState'
  while (names.includes(anyState)) anyState = `_${anyState}`
  const lines = ['stateDiagram-v2']
  if (direction !== undefined) lines.push(`  direction ${direction}`)
  const initial = root.initial?.target[0]
  if (initial !== undefined) lines.push(`  [*] --> ${nameOf(initial)}`)
  declareStates(root, '  ', lines)
  const fromEveryState = transitions.some(({ from }) => from === null)
  if (fromEveryState) lines.push(`  state "any state" as ${anyState}`)
  for (const { from, to, event, guard } of transitions) {
    const start = from ?? anyState
    const text = label(guard === null ? event : `${event} [${guard}]`)
    lines.push(`  ${start} --> ${to ?? start} : ${text}`)
  }
  if (fromEveryState) {
    lines.push(`  classDef inherited ${ANY_STATE_STYLE}`)
    lines.push(`  class ${anyState} inherited`)
  }
  if (highlight !== undefined) {
    lines.push(`  classDef current ${CURRENT_STYLE}`)
    lines.push(`  class ${highlight} current`)
  }
  return `${lines.join('\n')}\n`
}
