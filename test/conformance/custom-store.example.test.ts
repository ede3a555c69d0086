// docs/testing.md quotes this file ("Checking your own store"): a merchant's own store, checked
// by the suite the library's stores run. Here "your own store" keeps its data in a memory store
// and answers every call with a promise, as a store across the network does.
import type { TokenStore } from 'bolt-token-lifecycle'
import { createMemoryStore } from 'bolt-token-lifecycle/memory'
import { testTokenStore } from 'bolt-token-lifecycle/testing'
import { describe, expect, it } from 'vitest'

function createMyStore(): TokenStore {
  const data = createMemoryStore()
  return {
    get: async (key) => data.get(key),
    compareAndSet: (key, value, options) => data.compareAndSet(key, value, options),
    delete: (key) => data.delete(key),
    subscribe: (key, listener) => data.subscribe(key, listener),
  }
}

testTokenStore(
  { describe, it, expect },
  'my store',
  async () => ({
    store: createMyStore(),
    sibling: createMyStore(),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }),
  { answers: 'promise' },
)
