import { createUpstashStore } from '../../adapters/storage/upstash.js'
import { describeRedis, randomPrefix } from '../support/redis.js'
import { upstashClient, useUpstashServer } from '../support/upstash.js'
import type { UpstashTestServer } from '../support/upstash-server.js'
import type { SharedStore } from './scenario.js'
import { stampedeTest } from './stampede.js'
import type { UpstashWorkerStoreOptions } from './stores/upstash.js'

/** The Upstash store on a fresh prefix, through the REST test server this process runs. */
function sharedUpstashStore(server: UpstashTestServer): SharedStore {
  const prefix = randomPrefix()
  const store = createUpstashStore(upstashClient(server), { prefix })
  const options: UpstashWorkerStoreOptions = {
    url: server.url,
    token: server.token,
    prefix,
    requestTimeoutMs: 2_000,
  }
  return { store, close: () => store.close(), worker: { module: 'upstash', options } }
}

describeRedis('refresh stampede across processes (Upstash over HTTP)', () => {
  const server = useUpstashServer()
  stampedeTest(() => sharedUpstashStore(server()))
})
