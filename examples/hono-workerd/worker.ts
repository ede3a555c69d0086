/**
 * The Hono example (../hono/app.ts, the very same routes) as a workerd (Cloudflare Workers) module. Bolt's keys and base URL come
 * from the worker's bindings (secrets and vars on Cloudflare; `fromEnvironment` in
 * ./config.capnp); one token manager and one app per isolate.
 */
import { BOLT_SANDBOX_URL, createTokenManager } from 'bolt-token-lifecycle'
import type { ExecutionContext, Hono } from 'hono'
import { createApp } from '../hono/app.js'

/** The worker's bindings. */
export interface Env {
  /** Your publishable key (OAuth `client_id`). */
  BOLT_PUBLISHABLE_KEY: string
  /** Your API key (OAuth `client_secret`): a secret binding, never a plain var. */
  BOLT_API_KEY: string
  /** Bolt's API base URL: an emulator's `url` in tests. @default BOLT_SANDBOX_URL */
  BOLT_BASE_URL?: string
}

let app: Hono | undefined

function createWorkerApp(env: Env): Hono {
  const baseUrl = env.BOLT_BASE_URL || BOLT_SANDBOX_URL
  const tokens = createTokenManager({
    clientId: env.BOLT_PUBLISHABLE_KEY,
    clientSecret: env.BOLT_API_KEY,
    baseUrl,
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
