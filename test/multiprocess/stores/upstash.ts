// The Upstash store of a worker process: its own @upstash/redis client of the REST test server
// the test process runs (test/support/upstash-server.ts), on the prefix every instance shares.
import { Redis } from '@upstash/redis'
import { createUpstashStore } from '../../../adapters/storage/upstash.js'
import type { OpenedWorkerStore } from './index.js'

/** The options of {@link openStore} (they cross the process boundary as JSON). */
export interface UpstashWorkerStoreOptions {
  /** The test server's REST URL and bearer token. */
  url: string
  token: string
  /** The key prefix every instance shares. */
  prefix: string
  /** Each HTTP request's deadline. */
  requestTimeoutMs: number
}

/** Builds a client of its own (HTTP needs no connecting), then the store on the shared prefix. */
export async function openStore(options: UpstashWorkerStoreOptions): Promise<OpenedWorkerStore> {
  const client = new Redis({
    url: options.url,
    token: options.token,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(options.requestTimeoutMs),
  })
  const store = createUpstashStore(client, { prefix: options.prefix })
  return { store, close: () => store.close() }
}
