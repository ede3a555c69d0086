// A TokenStore in Node whose every call is one HTTP request to the test Worker (./worker.ts),
// which makes it on the real `createDurableObjectStore` inside workerd. `subscribe` keeps a
// streamed answer open: it resolves at the Worker's `ready` line (the store's own subscribe
// has resolved, so the Durable Object has registered the watch) and calls the listener at
// each `change` line; unsubscribing aborts the request, which cancels the Worker's stream and
// so unsubscribes there. Test support only.
import type { TokenStore, VersionedValue } from '../../../src/contracts.js'

/** The thin client, and `close()` for the subscriptions it holds open. */
export interface DurableObjectClient extends TokenStore {
  close(): Promise<void>
}

/**
 * A client of the Worker at `url` (service `first`, or `${url}/second`) for the store on
 * `prefix`; `watchMs` is the store's option of that name.
 */
export function durableObjectClient(
  url: string,
  prefix: string,
  options: { watchMs?: number } = {},
): DurableObjectClient {
  const subscriptions = new Set<AbortController>()
  const call = async (path: string, body: Record<string, unknown>): Promise<Response> => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prefix, ...options, ...body }),
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok)
      throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
    return response
  }
  const answer = async <T>(path: string, body: Record<string, unknown>): Promise<T> =>
    (await (await call(path, body)).json()) as T

  return {
    async get(key) {
      const { record } = await answer<{ record: VersionedValue | null }>('/get', { key })
      return record ?? undefined
    },
    async compareAndSet(key, value, { expectedVersion, ttlMs }) {
      const { version } = await answer<{ version: number | null }>('/cas', {
        key,
        value,
        expectedVersion,
        ...(ttlMs === undefined ? {} : { ttlMs }),
      })
      return version ?? undefined
    },
    async delete(key) {
      await answer('/delete', { key })
    },
    async subscribe(key, listener) {
      const abort = new AbortController()
      const response = await fetch(`${url}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prefix, ...options, key }),
        signal: abort.signal,
      })
      if (!response.ok || response.body === null)
        throw new Error(`/subscribe answered ${response.status}`)
      const lines = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let pending = ''
      let ready!: () => void
      let failed!: (error: Error) => void
      const isReady = new Promise<void>((resolve, reject) => {
        ready = resolve
        failed = reject
      })
      let active = true
      void (async () => {
        for (;;) {
          const { done, value } = await lines.read()
          if (done) return failed(new Error('/subscribe ended before it was ready'))
          pending += value
          const parts = pending.split('\n')
          pending = parts.pop() ?? ''
          for (const line of parts) {
            if (line === 'ready') ready()
            else if (line === 'change' && active) listener()
          }
        }
      })().catch((error: unknown) => {
        // aborted by unsubscribe or close, or failed before it was ready
        failed(error instanceof Error ? error : new Error(String(error)))
      })
      subscriptions.add(abort)
      await isReady
      return () => {
        active = false
        subscriptions.delete(abort)
        abort.abort()
      }
    },
    async close() {
      for (const abort of subscriptions) abort.abort()
      subscriptions.clear()
    },
  }
}
