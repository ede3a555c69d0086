// The Worker the Durable Objects tests run in workerd (twice: services `first` and `second`,
// each its own isolate, both bound to the one namespace `first` defines). It exposes the real
// `createDurableObjectStore` over HTTP, one request per store call, so that the conformance
// suite in Node drives real Durable Objects (see durable-object-store.test.ts), and runs a
// stampede of its own token manager for the multi-instance test. `first` forwards
// `/second/...` to `second` through a service binding: workerd listens on one socket.
import { createFetchTransport } from '../../../adapters/http/fetch.js'
import {
  BoltSessionObject,
  createDurableObjectStore,
  type SessionObjectNamespace,
} from '../../../adapters/storage/cloudflare.js'
import { isBoltTokenError } from '../../../src/errors.js'
import { createTokenManager } from '../../../src/manager/token-manager.js'

export { BoltSessionObject }

interface Env {
  SESSIONS: SessionObjectNamespace
  /** `first` only: the other service. */
  SECOND?: { fetch(request: Request): Promise<Response> }
}

/** Every store call names the store's prefix (a sibling store has another) and the key. */
interface StoreCall {
  prefix: string
  watchMs?: number
  key: string
  value?: string
  expectedVersion?: number
  ttlMs?: number
}

/** What `/stampede` runs: `callers` concurrent `getAccessToken` of one session. */
export interface StampedeCall {
  prefix: string
  sessionId: string
  callers: number
  connection: { clientId: string; clientSecret: string; baseUrl: string }
  /** Milliseconds added to `Date.now()`: the emulator's clock. */
  clockOffsetMs: number
}

/** One caller's outcome (tokens cross to the test process; nobody prints them). */
export type StampedeResult = { ok: true; token: string } | { ok: false; code: string }

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })

function storeFor(env: Env, call: StoreCall) {
  return createDurableObjectStore(env.SESSIONS, {
    prefix: call.prefix,
    ...(call.watchMs === undefined ? {} : { watchMs: call.watchMs }),
  })
}

/** `ready` once the subscription is active, then `change` per notification; cancel unsubscribes. */
function subscription(env: Env, call: StoreCall): Response {
  const encoder = new TextEncoder()
  let unsubscribe: (() => void) | undefined
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const stop = await storeFor(env, call).subscribe(call.key, () => {
        controller.enqueue(encoder.encode('change\n'))
      })
      if (cancelled) stop()
      else unsubscribe = stop
      controller.enqueue(encoder.encode('ready\n'))
    },
    cancel() {
      cancelled = true
      unsubscribe?.()
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/plain' } })
}

async function stampede(env: Env, call: StampedeCall): Promise<Response> {
  const tokens = createTokenManager({
    ...call.connection,
    clock: () => Date.now() + call.clockOffsetMs,
    http: createFetchTransport(),
    store: createDurableObjectStore(env.SESSIONS, { prefix: call.prefix }),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  })
  let refreshesStarted = 0
  tokens.subscribe((event) => {
    if (event.type === 'transition' && event.to === 'refresh') refreshesStarted += 1
  })
  const results = await Promise.all(
    Array.from({ length: call.callers }, () =>
      tokens.getAccessToken(call.sessionId).then(
        (token): StampedeResult => ({ ok: true, token }),
        (error: unknown): StampedeResult => ({
          ok: false,
          code: isBoltTokenError(error) ? error.code : String(error),
        }),
      ),
    ),
  )
  return json({ results, refreshesStarted })
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/second/') && env.SECOND !== undefined) {
      url.pathname = url.pathname.slice('/second'.length)
      return env.SECOND.fetch(new Request(url, request))
    }
    const call = (await request.json()) as StoreCall
    switch (url.pathname) {
      case '/get':
        return json({ record: (await storeFor(env, call).get(call.key)) ?? null })
      case '/cas': {
        const version = await storeFor(env, call).compareAndSet(call.key, call.value ?? '', {
          expectedVersion: call.expectedVersion ?? 0,
          ...(call.ttlMs === undefined ? {} : { ttlMs: call.ttlMs }),
        })
        return json({ version: version ?? null })
      }
      case '/delete':
        await storeFor(env, call).delete(call.key)
        return json({})
      case '/subscribe':
        return subscription(env, call)
      case '/stampede':
        return stampede(env, call as unknown as StampedeCall)
      default:
        return new Response('not found\n', { status: 404 })
    }
  },
}
