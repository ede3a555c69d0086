/**
 * The lifecycle smoke test every runtime runs, written against Web APIs only: login →
 * refresh → view-only → step-up → logout, against the Bolt emulator served from Node.
 * It asserts exact states, scopes, error codes and transitions (each one an arrow of the
 * machine that `bolt-token-lifecycle/machine` exports); the parent process then checks what
 * the emulator saw.
 */
import {
  createTokenManager,
  type HttpTransport,
  isBoltTokenError,
  type SessionStatus,
  type TokenManager,
  type TokenStore,
} from 'bolt-token-lifecycle'
import { listTransitions, tokenMachine } from 'bolt-token-lifecycle/machine'
import type { EmulatorControl } from './emulator-control.js'

/** What one lifecycle run needs. */
export interface LifecycleOptions {
  /** The emulator's keys and URL, as `emulatorManagerOptions` (bolt-token-lifecycle/emulator) builds them. */
  connection: { clientId: string; clientSecret: string; baseUrl: string }
  store: TokenStore
  http: HttpTransport
  emulator: EmulatorControl
  /** Called as each step passes, for progress output. */
  onStep?: (step: string) => void
}

/** What a passing run did. */
export interface LifecycleReport {
  /** The steps, in order, each of which passed. */
  steps: string[]
  /** The committed transitions, `from → to (EVENT)`. */
  transitions: string[]
}

/** The transitions one lifecycle commits, in order. */
export const EXPECTED_TRANSITIONS = [
  'unauthenticated → codeExchange (CODE_RECEIVED)',
  'codeExchange → fullyScoped (EXCHANGE_SUCCEEDED)',
  'fullyScoped → expired (TIME_ADVANCED)',
  'expired → refresh (REFRESH_STARTED)',
  'refresh → viewOnly (REFRESH_SUCCEEDED)',
  'viewOnly → codeExchange (CODE_RECEIVED)',
  'codeExchange → fullyScoped (EXCHANGE_SUCCEEDED)',
  'fullyScoped → unauthenticated (LOGOUT)',
]

const MANAGE = 'bolt.account.manage'
const VIEW = 'bolt.account.view'
const HOUR_AND_A_MINUTE = 61 * 60_000

/** A failed expectation, naming the step it failed in. */
export class SmokeFailure extends Error {
  override readonly name = 'SmokeFailure'
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new SmokeFailure(`${what}: expected ${e}, got ${a}`)
}

/** Whether the machine has an arrow for a committed transition (a top-level one counts anywhere). */
function isArrowOfMachine(committed: { from: string; to: string; event: string }): boolean {
  return listTransitions(tokenMachine).some(
    (arrow) =>
      arrow.event === committed.event &&
      (arrow.from === committed.from || arrow.from === null) &&
      (arrow.to === committed.to || (arrow.to === null && committed.from === committed.to)),
  )
}

function expectStatus(
  status: SessionStatus,
  expected: { state: SessionStatus['state']; canManage: boolean; scopes: readonly string[] },
): void {
  expectEqual(status.state, expected.state, 'getStatus().state')
  expectEqual(status.canManage, expected.canManage, 'getStatus().canManage')
  expectEqual([...status.scopes].sort(), [...expected.scopes].sort(), 'getStatus().scopes')
  expectEqual(status.lastError, null, 'getStatus().lastError')
}

async function expectRejection(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise
  } catch (error) {
    if (isBoltTokenError(error) && error.code === code) return
    const got = isBoltTokenError(error) ? error.code : String(error)
    throw new SmokeFailure(`expected a BoltTokenError ${code}, got ${got}`)
  }
  throw new SmokeFailure(`expected a BoltTokenError ${code}, but it resolved`)
}

/**
 * Runs one shopper through the whole lifecycle. Resolves with what passed; rejects with a
 * {@link SmokeFailure} (or the library's error) at the first wrong answer.
 */
export async function runLifecycle(options: LifecycleOptions): Promise<LifecycleReport> {
  const { emulator } = options
  const steps: string[] = []
  const transitions: string[] = []
  const committed: { from: string; to: string; event: string }[] = []
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body()
    } catch (error) {
      const code = isBoltTokenError(error) ? ` ${error.code}` : ''
      const message =
        error instanceof Error ? `${error.name}${code}: ${error.message}` : String(error)
      throw new SmokeFailure(`step "${name}" failed: ${message}`, { cause: error })
    }
    steps.push(name)
    options.onStep?.(name)
  }

  // The manager's clock follows the emulator's, and both move together past expiry.
  let offset = (await emulator.now()) - Date.now()
  const tokens: TokenManager = createTokenManager({
    ...options.connection,
    store: options.store,
    http: options.http,
    clock: () => Date.now() + offset,
  })
  const unsubscribe = tokens.subscribe((event) => {
    if (event.type === 'transition') {
      transitions.push(`${event.from} → ${event.to} (${event.event})`)
      committed.push({ from: event.from, to: event.to, event: event.event })
    }
    if (event.type === 'error') transitions.push(`error ${event.error.code}: ${event.detail}`)
  })
  const session = `smoke-${crypto.randomUUID()}`
  const login = async () => {
    const state = crypto.randomUUID()
    const code = await emulator.login(state)
    return tokens.exchangeCode(session, { code, state, expectedState: state })
  }

  let manageToken = ''
  let viewToken = ''
  try {
    await step('a new session is unauthenticated', async () => {
      expectStatus(await tokens.getStatus(session), {
        state: 'unauthenticated',
        canManage: false,
        scopes: [],
      })
      await expectRejection(tokens.getAccessToken(session), 'NOT_AUTHENTICATED')
    })
    await step('login: the code exchange gives a fully scoped session', async () => {
      const expected = {
        state: 'fullyScoped',
        canManage: true,
        scopes: [MANAGE, 'openid'],
      } as const
      expectStatus(await login(), expected)
      expectStatus(await tokens.getStatus(session), expected)
      manageToken = await tokens.getAccessToken(session, { scope: MANAGE })
      expectEqual(await emulator.readAccount(manageToken), 200, 'GET /v1/account')
      expectEqual(await emulator.addAddress(manageToken), 200, 'POST /v1/account/addresses')
    })
    await step('an hour passes: the token has expired', async () => {
      offset += HOUR_AND_A_MINUTE
      await emulator.advanceClock(HOUR_AND_A_MINUTE)
      expectStatus(await tokens.getStatus(session), {
        state: 'expired',
        canManage: false,
        scopes: [MANAGE, 'openid'],
      })
    })
    await step('refresh: a new, view-only token', async () => {
      viewToken = await tokens.getAccessToken(session)
      if (viewToken === manageToken) throw new SmokeFailure('the refresh returned the old token')
      expectStatus(await tokens.getStatus(session), {
        state: 'viewOnly',
        canManage: false,
        scopes: [VIEW],
      })
      expectEqual(await tokens.getAccessToken(session), viewToken, 'the view-only token, again')
    })
    await step('view-only: manage needs a new login (SCOPE_REQUIRED)', async () => {
      await expectRejection(tokens.getAccessToken(session, { scope: MANAGE }), 'SCOPE_REQUIRED')
      expectEqual(await emulator.readAccount(viewToken), 200, 'GET /v1/account (view-only)')
      expectEqual(
        await emulator.addAddress(viewToken),
        403,
        'POST /v1/account/addresses (view-only)',
      )
    })
    await step('step-up: a new login gives manage again', async () => {
      expectStatus(await login(), {
        state: 'fullyScoped',
        canManage: true,
        scopes: [MANAGE, 'openid'],
      })
      const token = await tokens.getAccessToken(session, { scope: MANAGE })
      if (token === viewToken || token === manageToken) {
        throw new SmokeFailure('the step-up returned an old token')
      }
      expectEqual(await emulator.addAddress(token), 200, 'POST /v1/account/addresses (stepped up)')
    })
    await step('logout: unauthenticated again', async () => {
      await tokens.logout(session)
      expectStatus(await tokens.getStatus(session), {
        state: 'unauthenticated',
        canManage: false,
        scopes: [],
      })
      await expectRejection(tokens.getAccessToken(session), 'NOT_AUTHENTICATED')
    })
    await step('the transitions, in order', async () => {
      expectEqual(transitions, EXPECTED_TRANSITIONS, 'transitions')
    })
    await step(
      'each transition is an arrow of the machine (bolt-token-lifecycle/machine)',
      async () => {
        const strays = committed.filter((transition) => !isArrowOfMachine(transition))
        expectEqual(strays, [], 'transitions the machine has no arrow for')
      },
    )
  } finally {
    unsubscribe()
  }
  return { steps, transitions }
}
