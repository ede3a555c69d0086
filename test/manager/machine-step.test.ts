import { describe, expect, it } from 'vitest'
import { initialTransition, transition } from 'xstate'
import { tokenMachine } from '../../src/machine/token-machine.js'
import { step } from '../../src/manager/machine-step.js'
import { Secret } from '../../src/secret.js'
import { lifecycleEvents, lifecyclePaths } from '../../src/testing/lifecycle-model.js'

/** What a transition produces that the manager reads: state, context, and the named actions. */
function outcome([snapshot, actions]: [
  { value: unknown; context: unknown },
  { type: string; params?: unknown }[],
]) {
  return {
    value: snapshot.value,
    context: snapshot.context,
    actions: actions.map((action) => [action.type, action.params]),
  }
}

describe('step: transition() on one shared inert scope', () => {
  const paths = lifecyclePaths()

  it('agrees with xstate transition() on every step of every generated path, and every event tried from it', () => {
    let compared = 0
    for (const path of paths) {
      let [snapshot] = initialTransition(tokenMachine)
      for (const { event } of path.steps.slice(1)) {
        for (const tried of [...lifecycleEvents(snapshot), event]) {
          expect(outcome(step(snapshot, tried))).toEqual(
            outcome(transition(tokenMachine, snapshot, tried)),
          )
          compared++
        }
        ;[snapshot] = step(snapshot, event)
      }
    }
    expect(compared).toBeGreaterThan(500)
  })

  it('runs the raised EXCHANGE_FAILED of an abandoned login, as transition() does', () => {
    const [exchanging] = step(initialTransition(tokenMachine)[0], {
      type: 'CODE_RECEIVED',
      now: 0,
      lease: { owner: 'a', until: 10 },
      code: new Secret('code'),
      scope: 'bolt.account.manage openid',
    })
    const [abandoned, actions] = step(exchanging, { type: 'EXCHANGE_ABANDONED', now: 11 })
    expect(abandoned.value).toBe('unauthenticated')
    expect(abandoned.context.lastError?.code).toBe('TIMEOUT')
    expect(actions.map((action) => action.type)).toEqual(['xstate.raise'])
  })
})
