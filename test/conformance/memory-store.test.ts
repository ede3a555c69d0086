import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { testTokenStore } from '../../src/testing/index.js'

testTokenStore(
  { describe, it, expect },
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
    }
  },
  { answers: 'sync' },
)
