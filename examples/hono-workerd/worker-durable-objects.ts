/**
 * The Hono example on workerd with its tokens in Durable Objects: the same app as ./worker.ts,
 * but every isolate of the Worker (on Cloudflare, every isolate anywhere) shares each shopper's
 * tokens through one Durable Object, so a refresh happens once however many isolates ask.
 * The binding `BOLT_SESSIONS` names the class this module exports (./config-durable-objects.capnp;
 * on Cloudflare, wrangler.toml: see docs/stores/cloudflare.md).
 */
import { BOLT_SANDBOX_URL, createTokenManager } from 'bolt-token-lifecycle'
import {
  createDurableObjectStore,
  type SessionObjectNamespace,
} from 'bolt-token-lifecycle/cloudflare'
import type { ExecutionContext, Hono } from 'hono'
import { createApp } from '../hono/app.js'
import type { Env as MemoryEnv } from './worker.js'

// workerd instantiates the Durable Object class from the Worker's exports.
export { BoltSessionObject } from 'bolt-token-lifecycle/cloudflare'

/** The worker's bindings: ./worker.ts's, and the Durable Object namespace. */
export interface Env extends MemoryEnv {
  /** The namespace of `BoltSessionObject`. */
  BOLT_SESSIONS: SessionObjectNamespace
}

let app: Hono | undefined

function createWorkerApp(env: Env): Hono {
  const baseUrl = env.BOLT_BASE_URL || BOLT_SANDBOX_URL
  const tokens = createTokenManager({
    clientId: env.BOLT_PUBLISHABLE_KEY,
    clientSecret: env.BOLT_API_KEY,
    baseUrl,
    store: createDurableObjectStore(env.BOLT_SESSIONS),
  })
  return createApp({ tokens, boltBaseUrl: baseUrl })
}

export default {
  fetch(request: Request, env: Env, context: ExecutionContext): Response | Promise<Response> {
    // Bindings arrive with the first request, not at module load.
    app ??= createWorkerApp(env)
    return app.fetch(request, env, context)
  },
}
