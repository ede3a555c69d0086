/**
 * The example's Bolt wiring, one per server process: the token manager on Redis, the session
 * helper and the Account API client. Route handlers, server components and server actions all
 * call {@link bolt}; the proxy never does (see ../proxy.ts).
 */
import { createTokenManager, type TokenManager } from 'bolt-token-lifecycle'
import { createRedisStore } from 'bolt-token-lifecycle/redis'
import { Redis } from 'ioredis'
import { type BoltAccountApi, createBoltAccountApi } from '../../shared/bolt-account-api.js'
import { createSessions, type Sessions } from '../../shared/sessions.js'
import { boltOptions } from './bolt-options.js'

/** What the routes, pages and actions use. */
export interface Bolt {
  tokens: TokenManager
  sessions: Sessions
  account: BoltAccountApi
}

async function connect(env: NodeJS.ProcessEnv): Promise<Bolt> {
  const options = await boltOptions(env)
  const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    commandTimeout: 1_000, // fail fast (STORE_UNAVAILABLE → 503) instead of queueing while Redis is away
    maxRetriesPerRequest: 1,
  })
  const store = createRedisStore(redis, { prefix: env.REDIS_PREFIX ?? 'bolt-tokens:' })
  const tokens = createTokenManager({ ...options, store })
  return {
    tokens,
    // Secure: browsers keep it on https and on http://localhost, never on plain http elsewhere.
    sessions: createSessions({ secure: true }),
    account: createBoltAccountApi(tokens, options.baseUrl),
  }
}

// Next.js may load this module more than once in one process (route handlers and server
// components are bundled apart): the one instance lives on globalThis.
const instance = Symbol.for('bolt-token-lifecycle/examples/nextjs')
type WithInstance = typeof globalThis & { [instance]?: Promise<Bolt> }

/** The process's Bolt wiring, created on first use from the environment. */
export function bolt(): Promise<Bolt> {
  const scope = globalThis as WithInstance
  scope[instance] ??= connect(process.env).catch((error: unknown) => {
    delete scope[instance] // a failed start (emulator not up yet) is tried again next time
    throw error
  })
  return scope[instance]
}
