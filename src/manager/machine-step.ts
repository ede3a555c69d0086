/**
 * One transition of the token machine, as XState's `transition(machine, snapshot, event)`
 * computes it, without its cost: `transition()` builds a throwaway actor and actor system
 * per call (computing the machine's initial snapshot on the way), about three times the work
 * of the transition itself, and that was a tenth of a refresh's CPU.
 *
 * Here every transition of the process runs on one inert actor scope built once. That is
 * sound because the token machine is pure: no invoke, no spawn, no delayed events, no
 * `sendTo`. Its one `raise` is not delayed, so XState handles it inside the macrostep and it
 * never reaches the scope. The actions a transition asks for are the only thing that does,
 * and they are collected per call (a transition is synchronous).
 * test/manager/machine-step.test.ts checks `step` against `transition()` on every generated
 * lifecycle path; re-run it on every XState upgrade.
 *
 * @module
 */
import { createActor, type transition } from 'xstate'
import { type TokenEvent, tokenMachine } from '../machine/token-machine.js'
import type { TokenSnapshot } from './session-record.js'

/** The actions the machine asked for on a transition. */
export type MachineActions = ReturnType<typeof transition<typeof tokenMachine>>[1]

type ActorScope = Parameters<typeof tokenMachine.transition>[2]

let collecting: MachineActions = []
const inertSelf = createActor(tokenMachine)
const inertScope = {
  self: inertSelf,
  system: inertSelf.system,
  id: '',
  sessionId: '',
  defer: () => {},
  logger: () => {},
  stopChild: () => {},
  emit: () => {},
  actionExecutor: (action: MachineActions[number]) => {
    collecting.push(action)
  },
} as unknown as ActorScope

/** `transition(tokenMachine, snapshot, event)`, on the shared inert scope. */
export function step(snapshot: TokenSnapshot, event: TokenEvent): [TokenSnapshot, MachineActions] {
  const actions: MachineActions = []
  collecting = actions
  try {
    return [tokenMachine.transition(snapshot, event, inertScope), actions]
  } finally {
    collecting = []
  }
}
