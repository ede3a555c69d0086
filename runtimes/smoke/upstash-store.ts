/** The Upstash store on @upstash/redis (fetch only): for every runtime, workerd included. */
import { Redis } from '@upstash/redis'
import { createUpstashStore, type UpstashStore } from 'bolt-token-lifecycle/upstash'

/** An Upstash store under a prefix of its own, on a client of the REST server at `url`. */
export function openUpstashStore(connection: { url: string; token: string }): UpstashStore {
  const redis = new Redis({
    url: connection.url,
    token: connection.token,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 100 },
    signal: () => AbortSignal.timeout(5_000),
  })
  return createUpstashStore(redis, { prefix: `bolt-runtimes:${crypto.randomUUID()}:` })
}
