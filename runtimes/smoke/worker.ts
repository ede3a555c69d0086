/**
 * The smoke test's entry on workerd: `POST /smoke` with a {@link SmokeRequest} (the memory
 * store, or the Upstash store over fetch: workerd has no TCP client for ioredis) answers a stream of progress lines ending
 * with the `RESULT` line, as the other runtimes print them.
 */
import { createMemoryStore } from 'bolt-token-lifecycle/memory'
import { runSmoke, type SmokeRequest } from './scenario.js'
import { openUpstashStore } from './upstash-store.js'

/** The part of workerd's `ExecutionContext` used here. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

export default {
  async fetch(request: Request, _env: unknown, context: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (request.method !== 'POST' || pathname !== '/smoke') {
      return new Response('POST /smoke only\n', { status: 404 })
    }
    const smoke = (await request.json()) as SmokeRequest
    if (
      smoke.scenario.store === 'redis' ||
      (smoke.scenario.store === 'upstash' && !smoke.upstash)
    ) {
      return new Response('workerd runs the memory and Upstash stores only\n', { status: 400 })
    }
    // Made inside the request: what one request starts is not another's to await.
    const store =
      smoke.scenario.store === 'upstash' && smoke.upstash
        ? openUpstashStore(smoke.upstash)
        : createMemoryStore()
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
