// The Durable Objects store of a worker process: the thin HTTP client of the test Worker in
// workerd (test/support/durable-objects/), on the prefix every instance shares.
import { durableObjectClient } from '../../support/durable-objects/client.js'
import type { OpenedWorkerStore } from './index.js'

/** The options of {@link openStore} (they cross the process boundary as JSON). */
export interface DurableObjectWorkerStoreOptions {
  /** The test Worker's URL (service `first`, or `<url>/second`). */
  url: string
  prefix: string
}

export async function openStore(
  options: DurableObjectWorkerStoreOptions,
): Promise<OpenedWorkerStore> {
  const store = durableObjectClient(options.url, options.prefix)
  return { store, close: () => store.close() }
}
