/**
 * `npm start`: walks one shopper through the whole token lifecycle against the built-in
 * Bolt emulator, on the embedded defaults (memory store, fetch transport), printing every
 * transition, the shopper's verified identity, and what the Bolt Account API allowed at each
 * step.
 *
 * @module
 */

import type { TokenStore } from '../contracts.js'
import { accountStatus, emulatorManagerOptions, startBoltEmulator } from '../emulator/index.js'
import { isBoltTokenError } from '../errors.js'
import type { TransitionEvent } from '../manager/lifecycle-events.js'
import { createTokenManager, type TokenManager } from '../manager/token-manager.js'

/** Where the tour writes; `console.log` unless a test captures it. */
export type Print = (line: string) => void

const SESSION = 'shopper-session-1'

function verdict(status: number): string {
  return status === 200 ? 'allowed' : `refused (${status})`
}

/** Options of {@link runTour}. */
export interface TourOptions {
  /** Receives each output line. @default console.log */
  print?: Print
  /** Run on this Redis instead of the memory store, e.g. `redis://127.0.0.1:6379`. */
  redisUrl?: string
}

/** A Redis URL fit to print: without user name or password. */
function describeRedisUrl(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString()
}

async function openStore(
  redisUrl: string | undefined,
): Promise<{ store?: TokenStore; label: string; close(): Promise<void> }> {
  if (redisUrl === undefined) return { label: 'memory store', close: async () => {} }
  const [{ Redis }, { createRedisStore }] = await Promise.all([
    import('ioredis'),
    import('../../adapters/storage/redis.js'),
  ])
  const client = new Redis(redisUrl, {
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  })
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw new Error(
      `Could not connect to Redis at ${describeRedisUrl(redisUrl)}: ${(error as Error).message}`,
    )
  }
  const prefix = `bolt-tour:${globalThis.crypto.randomUUID()}:`
  const store = createRedisStore(client, { prefix })
  return {
    store,
    label: `Redis store at ${describeRedisUrl(redisUrl)} (keys under ${prefix})`,
    async close() {
      const keys = await client.keys(`${prefix}*`)
      if (keys.length > 0) await client.del(...keys)
      await store.close()
      await client.quit()
    },
  }
}

/** Runs the tour. Resolves with the transitions it saw, in order. */
export async function runTour(options: TourOptions = {}): Promise<TransitionEvent[]> {
  const print = options.print ?? console.log
  const storage = await openStore(options.redisUrl)
  const bolt = await startBoltEmulator()
  const seen: TransitionEvent[] = []
  try {
    const tokens: TokenManager = createTokenManager({
      ...emulatorManagerOptions(bolt),
      ...(storage.store === undefined ? {} : { store: storage.store }),
    })
    tokens.subscribe((event) => {
      if (event.type === 'error') {
        print(`   ! ${event.error.code}: ${event.detail}`)
        return
      }
      switch (event.type) {
        case 'transition':
          seen.push(event)
          print(`   ${event.from} → ${event.to}   (${event.event})`)
          return
        case 'tokenRequest':
          print(
            `     · Bolt token request (${event.grant}): ${event.outcome} in ${Math.round(event.durationMs)} ms`,
          )
          return
        case 'downgrade':
          print('     · downgrade: the session can no longer manage the account (view-only)')
          return
        case 'stepUp':
          print('     · step-up: the session may manage the account again')
          return
        case 'leaseTakenOver':
          print(`   ! took over a ${event.state} lease (${event.reason})`)
          return
        case 'leaseContention':
          return
      }
    })

    const showStatus = async () => {
      const status = await tokens.getStatus(SESSION)
      const minutes =
        status.expiresAt === null ? 0 : Math.round((status.expiresAt - bolt.now()) / 60_000)
      const left =
        status.expiresAt === null
          ? ''
          : minutes >= 0
            ? ` · token expires in ${minutes} min`
            : ` · token expired ${-minutes} min ago`
      print(
        `   status: ${status.state} · scopes [${status.scopes.join(' ')}] · canManage ${status.canManage}${left}`,
      )
    }
    // The shopper's verified identity from the ID token: the email and name, never a token.
    const showIdentity = async () => {
      const identity = await tokens.getIdentity(SESSION)
      if (identity === null) {
        print('   identity: none (no ID token in the session)')
        return
      }
      const name = [identity.first_name, identity.last_name].filter(Boolean).join(' ')
      const verified = identity.email_verified === true ? 'verified' : 'not verified'
      print(
        `   identity: ${identity.email ?? '(no email)'} (${verified})${name ? ` · ${name}` : ''}`,
      )
    }
    const tryAccount = async () => {
      const viewToken = await tokens.getAccessToken(SESSION)
      const read = await accountStatus(bolt.url, viewToken, 'read')
      let write: string
      try {
        const manageToken = await tokens.getAccessToken(SESSION, { scope: 'bolt.account.manage' })
        write = verdict(await accountStatus(bolt.url, manageToken, 'write'))
      } catch (error) {
        if (!isBoltTokenError(error, 'SCOPE_REQUIRED')) throw error
        const bolts = verdict(await accountStatus(bolt.url, viewToken, 'write'))
        write = `needs a new login (SCOPE_REQUIRED; Bolt itself: ${bolts})`
      }
      print(`   Account API: read account → ${verdict(read)} · add address → ${write}`)
    }

    print('bolt-token-lifecycle tour: one shopper through the whole token lifecycle')
    print(`Bolt emulator on ${bolt.url} · ${storage.label} · fetch transport\n`)

    print(
      '1. The shopper logs in (the login modal gives the frontend a code; the backend exchanges it)',
    )
    await tokens.exchangeCode(SESSION, { code: bolt.login().code })
    await showStatus()
    await showIdentity()
    await tryAccount()

    print('\n2. An hour passes (the emulator clock moves 61 minutes)')
    bolt.advanceClock(61 * 60_000)
    await showStatus()

    print('\n3. The backend asks for a token: it refreshes once and the shopper becomes view-only')
    await tryAccount()
    await showStatus()
    await showIdentity()

    print('\n4. The shopper logs in again to change their account (step-up)')
    await tokens.exchangeCode(SESSION, { code: bolt.login().code })
    await showStatus()
    await tryAccount()

    print('\n5. The shopper logs out')
    await tokens.logout(SESSION)
    await showStatus()
    await showIdentity()
    try {
      await tokens.getAccessToken(SESSION)
    } catch (error) {
      if (!isBoltTokenError(error, 'NOT_AUTHENTICATED')) throw error
      print('   getAccessToken → NOT_AUTHENTICATED (show the login modal)')
    }

    const stats = bolt.stats
    print(
      `\nBolt saw ${stats.codeExchanges} code exchanges, ${stats.refreshes} refresh, ${stats.reuseDetected} refresh-token reuses.`,
    )
    print(`${seen.length} transitions. Done.`)
    return seen
  } finally {
    await bolt.close()
    await storage.close()
  }
}
