// The TokenStore conformance suite on Deno, against Deno.openKv(file): Deno has no
// describe/it/expect of its own offline, so a small shim collects the suite's tests and runs
// them one after the other, and an `expect` implements the assertions the suite makes
// (StoreAssertion). Prints one line per test and a final `RESULT {json}` line.
// Usage: deno run --unstable-kv … conformance.js <kv file>
import { createDenoKvStore } from '../../../adapters/storage/deno-kv.js'
import type { StoreAssertion } from '../../../src/testing/index.js'
import { testTokenStore } from '../../../src/testing/index.js'
import { Deno } from './deno-globals.js'

const tests: { name: string; body: () => Promise<void> }[] = []
const path: string[] = []

function describe(name: string, body: () => void): void {
  path.push(name)
  try {
    body()
  } finally {
    path.pop()
  }
}

function it(name: string, body: () => Promise<void>): void {
  tests.push({ name: [...path, name].join(' > '), body })
}

/** Deep equality as vitest's toEqual: properties holding `undefined` count as absent. */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const keys = (value: object) =>
    Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined)
  const [left, right] = [keys(a), keys(b)]
  return (
    left.length === right.length &&
    left.every((key) =>
      equal((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  )
}

const show = (value: unknown) =>
  typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(JSON.stringify(value))

function assertion(actual: unknown, negated: boolean, message?: string): StoreAssertion {
  const check = (holds: boolean, what: string) => {
    if (holds === negated) {
      throw new Error(
        `${message ? `${message}: ` : ''}expected ${show(actual)} ${negated ? 'not ' : ''}${what}`,
      )
    }
  }
  return {
    toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`),
    toEqual: (expected) => check(equal(actual, expected), `to equal ${show(expected)}`),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeTypeOf: (type) => check(typeof actual === type, `to be a ${type}`),
    toBeGreaterThan: (value) => check((actual as number) > value, `to be greater than ${value}`),
    toHaveLength: (length) =>
      check((actual as { length?: unknown })?.length === length, `to have length ${length}`),
    get not() {
      return assertion(actual, !negated, message)
    },
  }
}

const expect = (actual: unknown, message?: string) => assertion(actual, false, message)

const file = Deno.args[0]
if (file === undefined) throw new Error('usage: conformance.js <kv file>')

testTokenStore(
  { describe, it, expect },
  'Deno KV store (Deno.openKv, a local SQLite file)',
  async () => {
    const [kv, other] = await Promise.all([Deno.openKv(file), Deno.openKv(file)])
    const prefix = `test-${crypto.randomUUID()}`
    const stores = [
      createDenoKvStore(kv, { prefix }),
      createDenoKvStore(kv, { prefix: `test-${crypto.randomUUID()}` }),
      // A second handle on the file, as a second process would have.
      createDenoKvStore(other, { prefix }),
    ] as const
    const [store, sibling, peer] = stores
    return {
      store,
      sibling,
      peer,
      elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      close: async () => {
        await Promise.all(stores.map((each) => each.close()))
        kv.close()
        other.close()
      },
    }
  },
  { answers: 'promise' },
)

const passed: string[] = []
const failed: { name: string; error: string }[] = []
for (const test of tests) {
  try {
    await test.body()
    passed.push(test.name)
    console.log(`✓ ${test.name}`)
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    failed.push({ name: test.name, error: text })
    console.log(`✗ ${test.name}: ${text}`)
  }
}
console.log(`RESULT ${JSON.stringify({ passed, failed })}`)
Deno.exit(failed.length === 0 ? 0 : 1)
