/**
 * The smoke test's entry on workerd: `POST /smoke` with a {@link SmokeRequest} (the memory
 * store, the Durable Objects store on the `SESSIONS` namespace, or the Upstash store over
 * fetch; workerd has no TCP client for ioredis) answers a stream of progress lines ending
 * with the `RESULT` line, as the other runtimes print them.
 */
import type { TokenStore } from 'bolt-token-lifecycle'
import {
  createDurableObjectStore,
  type SessionObjectNamespace,
} from 'bolt-token-lifecycle/cloudflare'
import { createMemoryStore } from 'bolt-token-lifecycle/memory'
import { runSmoke, type SmokeRequest } from './scenario.js'
import { openUpstashStore } from './upstash-store.js'

export { BoltSessionObject } from 'bolt-token-lifecycle/cloudflare'

/** The part of workerd's `ExecutionContext` used here. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

/** The worker's bindings (see `smokeWorkerConfig`). */
interface Env {
  SESSIONS: SessionObjectNamespace
}

/** The scenario's store, made inside the request: what one request starts is not another's to await. */
function storeOf(
  smoke: SmokeRequest,
  env: Env,
): (TokenStore & { close?(): Promise<void> }) | undefined {
  if (smoke.scenario.store === 'memory') return createMemoryStore()
  if (smoke.scenario.store === 'upstash' && smoke.upstash) return openUpstashStore(smoke.upstash)
  if (smoke.scenario.store === 'durable-object') {
    return createDurableObjectStore(env.SESSIONS, { prefix: `smoke:${crypto.randomUUID()}:` })
  }
  return undefined
}

export default {
  async fetch(request: Request, env: Env, context: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (request.method !== 'POST' || pathname !== '/smoke') {
      return new Response('POST /smoke only\n', { status: 404 })
    }
    const smoke = (await request.json()) as SmokeRequest
    const store = storeOf(smoke, env)
    if (store === undefined) {
      return new Response('workerd runs the memory, Durable Objects and Upstash stores only\n', {
        status: 400,
      })
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
    const writer = writable.getWriter()
    const encoder = new TextEncoder()
    let written: Promise<void> = Promise.resolve()
    const write = (line: string) => {
      written = written.then(() => writer.write(encoder.encode(`${line}\n`)))
    }
    context.waitUntil(
      runSmoke(smoke, store, write)
        .then(() => written)
        .finally(() => Promise.all([writer.close(), 'close' in store ? store.close() : undefined])),
    )
    return new Response(readable, { headers: { 'content-type': 'text/plain; charset=utf-8' } })
  },
}
