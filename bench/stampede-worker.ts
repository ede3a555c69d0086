// One backend instance of the stampede: its own ioredis client and token manager on the
// shared Redis, firing the callers the parent asks for. It never prints a token.
import { Redis } from 'ioredis'
import { createRedisStore } from '../adapters/storage/redis.js'
import { isBoltTokenError } from '../src/errors.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import { type ChildMessage, serveParent } from './child.js'
import { type Go, readWorkerConfig, stampedeOf } from './stampede-protocol.js'

const config = readWorkerConfig()
const client = new Redis(config.redisUrl, { commandTimeout: 10_000, maxRetriesPerRequest: 1 })
client.on('error', () => {})
const store = createRedisStore(client, { prefix: config.prefix })
let clockOffsetMs = 0
const tokens = createTokenManager({
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  baseUrl: config.baseUrl,
  store,
  clock: () => Date.now() + clockOffsetMs,
})
// A backend instance has its notification connection open before a stampede comes.
const unsubscribe = await store.subscribe('warm-up', () => {})
unsubscribe()

const { send } = serveParent(async (message: ChildMessage) => {
  if (message.type !== 'go') return undefined
  const go = message as Go
  clockOffsetMs = go.clockOffsetMs
  return stampedeOf(
    go.callers,
    () => tokens.getAccessToken(go.sessionId),
    (error) => (isBoltTokenError(error) ? error.code : String(error)),
  )
})
send({ type: 'ready' })
