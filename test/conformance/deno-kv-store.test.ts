import { describe, expect, it } from 'vitest'
import { createDenoKvStore } from '../../adapters/storage/deno-kv.js'
import { testTokenStore } from '../../src/testing/index.js'
import { openTestKv, randomKvPrefix, tempKvPath } from '../support/deno-kv.js'

// One SQLite file for the file's tests, opened twice: the second handle is what a second
// process would have.
const path = tempKvPath()
const handles = Promise.all([openTestKv(path), openTestKv(path)])

testTokenStore(
  { describe, it, expect },
  'Deno KV store (@deno/kv on Node, a local SQLite file)',
  async () => {
    const [kv, other] = await handles
    const prefix = randomKvPrefix()
    const stores = [
      createDenoKvStore(kv, { prefix }),
      createDenoKvStore(kv, { prefix: randomKvPrefix() }),
      createDenoKvStore(other, { prefix }),
    ] as const
    const [store, sibling, peer] = stores
    return {
      store,
      sibling,
      peer,
      elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      close: async () => {
        await Promise.all(stores.map((each) => each.close()))
      },
    }
  },
  { answers: 'promise' },
)
