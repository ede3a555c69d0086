/**
 * The playground's example merchant backend: one shopper session (and three more shoppers a
 * button logs in), the Bolt emulator standing in for api.bolt.com, and a token manager on the
 * memory store whose metrics feed the operations panel. Each button of the page is one action
 * here; everything that happens is reported through `onMessage` (never a token, a code or a
 * secret).
 */
import {
  type AddressInput,
  createAccountApi,
  createTokenManager,
  isBoltAccountError,
  isBoltTokenError,
  type TokenState,
} from 'bolt-token-lifecycle'
import { emulatorManagerOptions, startBoltEmulator } from 'bolt-token-lifecycle/emulator'
import { tokenMachine, toMermaid } from 'bolt-token-lifecycle/machine'
import { createMemoryStore } from 'bolt-token-lifecycle/memory'
import { createOperationsReader, type Operations } from './operations.js'

/** The one shopper session of the playground (a real backend takes it from its session cookie). */
const SESSION = 'playground-shopper'
/** The sessions of the "more shoppers" button: they log in, then sit while the clock moves. */
const OTHER_SESSIONS = ['playground-shopper-2', 'playground-shopper-3', 'playground-shopper-4']
/** A little more than an access token's hour, so the next read has to refresh. */
const CLOCK_STEP_MS = 61 * 60_000
/** How many log entries a page that connects late (or reloads) receives. */
const HISTORY_LIMIT = 200

/** What the page's buttons do. */
export const ACTIONS = ['login', 'read', 'write', 'advance', 'logout', 'shoppers'] as const
export type ActionName = (typeof ACTIONS)[number]

/** The session as the page shows it. */
export interface PlaygroundStatus {
  state: TokenState
  scopes: string[]
  /** Seconds until the access token expires at the Bolt clock (negative: ago); `null` without tokens. */
  expiresInSeconds: number | null
  canManage: boolean
  /** The code of the last failed token request, or `null`. */
  lastError: string | null
  /** Who is logged in, from the verified ID token: the email, never a token; `null` without one. */
  identity: { email: string | null; emailVerified: boolean } | null
  /** The Bolt (emulator) clock, epoch ms. */
  clock: number
}

/** One line of the page's log. */
export type LogEntry =
  | { kind: 'transition'; from: TokenState; to: TokenState; event: string; at: number }
  | { kind: 'error'; code: string; detail: string; at: number }
  | { kind: 'outcome'; seq: number; action: ActionName; ok: boolean; text: string; at: number }

/** What the backend pushes to every page over Server-Sent Events. */
export type PlaygroundMessage =
  | {
      type: 'snapshot'
      status: PlaygroundStatus
      diagram: string
      operations: Operations
      log: LogEntry[]
    }
  | { type: 'status'; status: PlaygroundStatus; diagram: string; operations: Operations }
  | { type: 'log'; entry: LogEntry }

export interface PlaygroundBackend {
  /** Runs one button's action; actions run one after another, in arrival order. */
  run(action: ActionName): Promise<LogEntry & { kind: 'outcome' }>
  /**
   * The last status pushed, its diagram and the log, for a page that just connected. Synchronous,
   * so a page can be sent it and join the broadcast without missing or repeating a message.
   */
  snapshot(): PlaygroundMessage & { type: 'snapshot' }
  close(): Promise<void>
}

/** The address the "write" button adds. */
const ADDRESS: AddressInput = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Market St',
  locality: 'San Francisco',
  region: 'California',
  postal_code: '94105',
  country_code: 'US',
  email: 'shopper@example.com',
}

/** Starts the emulator and the token manager behind the playground. */
export async function startBackend(
  onMessage: (message: PlaygroundMessage) => void,
): Promise<PlaygroundBackend> {
  const bolt = await startBoltEmulator()
  const operations = createOperationsReader()
  const tokens = createTokenManager({
    ...emulatorManagerOptions(bolt),
    store: createMemoryStore(),
    meter: operations.meter,
  })
  /** Every session the panel counts: the shopper, and the others once logged in. */
  const sessions = new Set([SESSION])
  // The Account API for the playground's one session: it sends the token and the API key.
  const account = createAccountApi(tokens, SESSION)
  const history: LogEntry[] = []
  let seq = 0
  let queue: Promise<unknown> = Promise.resolve()

  const log = (entry: LogEntry) => {
    history.push(entry)
    if (history.length > HISTORY_LIMIT) history.shift()
    onMessage({ type: 'log', entry })
  }
  tokens.subscribe((event) => {
    if (event.type === 'transition') {
      const { from, to, event: cause, at } = event
      log({ kind: 'transition', from, to, event: cause, at })
    } else if (event.type === 'error') {
      log({ kind: 'error', code: event.error.code, detail: event.detail, at: event.at })
    }
  })

  const status = async (): Promise<{
    status: PlaygroundStatus
    diagram: string
    operations: Operations
  }> => {
    const current = await tokens.getStatus(SESSION)
    const states = await Promise.all(
      [...sessions].map(async (id) => (await tokens.getStatus(id)).state),
    )
    const verified = await tokens.getIdentity(SESSION).catch(() => null)
    const clock = bolt.now()
    return {
      status: {
        state: current.state,
        scopes: current.scopes,
        expiresInSeconds:
          current.expiresAt === null ? null : Math.round((current.expiresAt - clock) / 1000),
        canManage: current.canManage,
        lastError: current.lastError?.code ?? null,
        identity:
          verified === null
            ? null
            : { email: verified.email ?? null, emailVerified: verified.email_verified === true },
        clock,
      },
      diagram: toMermaid(tokenMachine, { highlight: current.state }),
      operations: await operations.read(states),
    }
  }

  const perform = async (action: ActionName): Promise<{ ok: boolean; text: string }> => {
    switch (action) {
      case 'login': {
        // The login modal's stand-in; a real frontend posts this code (and state) to the backend.
        const state = globalThis.crypto.randomUUID()
        const { code } = bolt.login({ state })
        const after = await tokens.exchangeCode(SESSION, { code, state, expectedState: state })
        return { ok: true, text: `now ${after.state}` }
      }
      case 'read': {
        const { addresses = [] } = await account.getDetails()
        const count = addresses.length
        return { ok: true, text: `HTTP 200 (${count} address${count === 1 ? '' : 'es'})` }
      }
      case 'write':
        // Asks for a bolt.account.manage token first: SCOPE_REQUIRED on a view-only session.
        await account.addAddress(ADDRESS)
        return { ok: true, text: 'HTTP 200 (address added)' }
      case 'advance':
        bolt.advanceClock(CLOCK_STEP_MS)
        return { ok: true, text: `Bolt clock +${CLOCK_STEP_MS / 60_000} min` }
      case 'logout':
        await tokens.logout(SESSION)
        return { ok: true, text: 'logged out' }
      case 'shoppers':
        for (const id of OTHER_SESSIONS) {
          await tokens.exchangeCode(id, { code: bolt.login().code })
          sessions.add(id)
        }
        return { ok: true, text: `${OTHER_SESSIONS.length} more shoppers logged in` }
    }
  }

  const explain = (error: unknown): { ok: boolean; text: string } => {
    if (isBoltTokenError(error, 'SCOPE_REQUIRED')) {
      return { ok: false, text: 'SCOPE_REQUIRED: view-only session, log in again' }
    }
    if (isBoltTokenError(error, 'NOT_AUTHENTICATED')) {
      return { ok: false, text: 'NOT_AUTHENTICATED: log in first' }
    }
    // Bolt's own refusal: its status is what the page shows.
    if (isBoltAccountError(error)) return { ok: false, text: `HTTP ${error.status}` }
    // The library's errors never carry a token, a code or a secret: their code is safe to show.
    if (isBoltTokenError(error)) return { ok: false, text: error.code }
    throw error
  }

  let current = await status()
  const run = (action: ActionName) => {
    const next = queue.then(async () => {
      const result = await perform(action).catch(explain)
      current = await status()
      onMessage({ type: 'status', ...current })
      seq += 1
      const entry = { kind: 'outcome', seq, action, ...result, at: bolt.now() } as const
      log(entry)
      return entry
    })
    queue = next.catch(() => {})
    return next
  }

  return {
    run,
    snapshot() {
      return { type: 'snapshot', ...current, log: [...history] }
    },
    async close() {
      await queue
      await bolt.close()
    },
  }
}
