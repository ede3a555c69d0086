/**
 * A forgotten `await`: a Promise passed where a value belongs is reported as a Promise, by the
 * helper and by every entry point that uses it, before any other check or any I/O.
 */
import { describe, expect, it } from 'vitest'
import { createAccountClient } from '../../adapters/http/ky.js'
import { createAccountApi } from '../../src/account/account-api.js'
import { accountExists } from '../../src/account/account-exists.js'
import { createAccountFetch } from '../../src/account/account-fetch.js'
import { startBoltEmulator } from '../../src/emulator/index.js'
import { BoltTokenError } from '../../src/errors.js'
import { createTokenManager } from '../../src/manager/token-manager.js'
import { rejectPromiseArgument, rejectPromiseArguments } from '../../src/promise-argument.js'
import { createBoltTestHelpers, createManagerDriver } from '../../src/testing/index.js'

const tokens = createTokenManager({ clientId: 'pk_test', clientSecret: 'sk_test' })
const later = <T>(value: T): Promise<T> => Promise.resolve(value)
/** `target` with a `then` field (set, not written as a literal, which the linter refuses). */
const withThen = <T extends object>(target: T, then: unknown): T =>
  Object.defineProperty(target, 'then', { value: then, enumerable: true })

/** What calling `call` throws, as its class, code (if any) and message. */
function thrown(call: () => unknown): { type: string; code?: unknown; message: string } {
  try {
    call()
  } catch (error) {
    const { name, message } = error as Error
    const code = (error as { code?: unknown }).code
    return { type: name, ...(code === undefined ? {} : { code }), message }
  }
  throw new Error('did not throw')
}

/** What `call` rejects (or throws) with, as its class, code (if any) and message. */
async function rejected(
  call: () => Promise<unknown>,
): Promise<{ type: string; code?: unknown; message: string }> {
  try {
    await call()
  } catch (error) {
    const { name, message } = error as Error
    const code = (error as { code?: unknown }).code
    return { type: name, ...(code === undefined ? {} : { code }), message }
  }
  throw new Error('did not reject')
}

const invalid = (message: string) => ({ type: 'BoltTokenError', code: 'INVALID_ARGUMENT', message })
const typeError = (message: string) => ({ type: 'TypeError', message })

describe('what counts as a Promise', () => {
  it('a Promise, a settled one, and any thenable, object or function; nothing else', () => {
    const settled = Promise.reject(new Error('unobserved'))
    settled.catch(() => {})
    const promises = [
      later(1),
      settled,
      withThen({}, () => {}),
      withThen(
        () => {},
        () => {},
      ),
    ]
    const values = [
      undefined,
      null,
      0,
      'then',
      {},
      withThen({}, 'not a function'),
      () => {},
      tokens,
    ]
    const refused = (value: unknown) => {
      try {
        rejectPromiseArgument(value, 'x')
        return false
      } catch {
        return true
      }
    }
    expect(promises.map(refused)).toEqual([true, true, true, true])
    expect(values.map(refused)).toEqual([false, false, false, false, false, false, false, false])
  })
})

describe('rejectPromiseArgument', () => {
  it('throws INVALID_ARGUMENT naming the argument, and lets a value through', () => {
    const error = thrown(() => rejectPromiseArgument(later('pk'), 'connect: `clientId`'))
    expect(error).toEqual(invalid('connect: `clientId` is a Promise: did you forget `await`?'))
    expect(rejectPromiseArgument('pk', 'connect: `clientId`')).toBeUndefined()
  })

  it('throws the error toError builds', () => {
    const error = thrown(() =>
      rejectPromiseArgument(later(1), 'x', (message) => new RangeError(message)),
    )
    expect(error).toEqual({
      type: 'RangeError',
      message: 'x is a Promise: did you forget `await`?',
    })
  })
})

describe('rejectPromiseArguments', () => {
  it('checks the arguments in order, then the fields of `options`', () => {
    expect(thrown(() => rejectPromiseArguments('f', { a: 1, b: later(2), c: later(3) }))).toEqual(
      invalid('f: `b` is a Promise: did you forget `await`?'),
    )
    expect(thrown(() => rejectPromiseArguments('f', { options: { store: later({}) } }))).toEqual(
      invalid('f: `options.store` is a Promise: did you forget `await`?'),
    )
  })

  it('checks the fields of `options` only: another object argument is taken as it is', () => {
    expect(rejectPromiseArguments('f', { tokens: { x: later(1) } })).toBeUndefined()
    expect(rejectPromiseArguments('f', { options: undefined, sessionId: 's' })).toBeUndefined()
  })
})

describe('the entry points', () => {
  it('createTokenManager names a Promise as its options, or as one of them', () => {
    const thrown = (options: unknown) => {
      try {
        createTokenManager(options as never)
      } catch (error) {
        return error as BoltTokenError
      }
      return undefined
    }
    const asOptions = thrown(later({ clientId: 'pk_test', clientSecret: 'sk_test' }))
    expect(asOptions?.code).toBe('INVALID_ARGUMENT')
    expect(asOptions?.message).toContain('createTokenManager: `options` is a Promise')
    const asStore = thrown({ clientId: 'pk_test', clientSecret: 'sk_test', store: later({}) })
    expect(asStore?.message).toContain('createTokenManager: `options.store` is a Promise')
  })

  const promisedTokens = later(tokens) as unknown as typeof tokens

  it('createAccountApi, createAccountFetch and createAccountClient name a Promise manager, session id or option', () => {
    expect([
      thrown(() => createAccountApi(promisedTokens, 's')),
      thrown(() => createAccountFetch(tokens, later('s') as unknown as string)),
      thrown(() => createAccountClient(tokens, 's', { apiKey: later('sk') as unknown as string })),
    ]).toEqual([
      invalid('createAccountApi: `tokens` is a Promise: did you forget `await`?'),
      invalid('createAccountFetch: `sessionId` is a Promise: did you forget `await`?'),
      invalid('createAccountClient: `options.apiKey` is a Promise: did you forget `await`?'),
    ])
  })

  it('accountExists names a Promise email or a Promise manager, before asking Bolt', async () => {
    let requests = 0
    const fetch = async () => {
      requests += 1
      return new Response('{}')
    }
    expect([
      await rejected(() => accountExists(later('a@b.c') as unknown as string, { tokens, fetch })),
      await rejected(() => accountExists('a@b.c', { tokens: promisedTokens, fetch })),
    ]).toEqual([
      invalid('accountExists: `email` is a Promise: did you forget `await`?'),
      invalid('accountExists: `options.tokens` is a Promise: did you forget `await`?'),
    ])
    expect(requests).toBe(0)
  })

  // startBoltEmulator itself is under test here, so it is called directly, not through the harness.
  it('startBoltEmulator refuses Promise options (it would otherwise start with the defaults)', async () => {
    const options = later({ clientId: 'pk_mine' }) as unknown as { clientId: string }
    expect([
      await rejected(() => startBoltEmulator(options)),
      await rejected(() => startBoltEmulator({ now: later(0) as unknown as number })),
    ]).toEqual([
      typeError('startBoltEmulator: `options` is a Promise: did you forget `await`?'),
      typeError('startBoltEmulator: `options.now` is a Promise: did you forget `await`?'),
    ])
  })

  it('the test kit names a Promise emulator (`startBoltEmulator()` without `await`)', () => {
    const bolt = later({}) as unknown as Parameters<typeof createBoltTestHelpers>[0]
    expect([
      thrown(() => createBoltTestHelpers(bolt)),
      thrown(() => createManagerDriver({ bolt })),
    ]).toEqual([
      typeError('createBoltTestHelpers: `bolt` is a Promise: did you forget `await`?'),
      typeError('createManagerDriver: `options.bolt` is a Promise: did you forget `await`?'),
    ])
  })

  it('errors are the library’s own: INVALID_ARGUMENT is a BoltTokenError', () => {
    let caught: unknown
    try {
      createAccountApi(promisedTokens, 's')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(BoltTokenError)
  })
})
