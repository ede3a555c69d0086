import { createMemoryStore } from '../../adapters/storage/memory.js'
import { runTokenStoreConformance } from './token-store-conformance.js'

runTokenStoreConformance(
  'memory store',
  async () => {
    let now = Date.now()
    const clock = () => now
    return {
      store: createMemoryStore({ clock }),
      sibling: createMemoryStore({ clock }),
      elapse: async (ms) => {
        now += ms
      },
      close: async () => {},
    }
  },
  'sync',
)
