// A child process that runs the REST test server (test/support/upstash-server.ts) in front of
// the bench's Redis, so that its work runs on its own core, as Upstash's would, instead of
// inside the client being measured. `stats` and `reset` messages read and clear its counters.
import { startUpstashServer } from '../test/support/upstash-server.js'
import { type ChildMessage, serveParent } from './child.js'

/** What the child tells the parent once it listens. */
export interface UpstashServerReady {
  type: 'ready'
  url: string
  token: string
}

const redisUrl = process.env.BENCH_UPSTASH_REDIS_URL
if (redisUrl === undefined) throw new Error('BENCH_UPSTASH_REDIS_URL is not set')
const server = await startUpstashServer({ redisUrl })
const { send } = serveParent(async (message: ChildMessage) => {
  if (message.type === 'reset') server.resetStats()
  return { type: 'stats', stats: server.stats() } as ChildMessage
})
send({ type: 'ready', url: server.url, token: server.token } satisfies UpstashServerReady)
