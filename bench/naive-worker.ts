// One backend instance of the naive stampede: what a merchant writes without this library.
// The tokens live in Redis as simple-oauth2's JSON; a caller reads them, sees them expired,
// refreshes with simple-oauth2 and writes the result back. No lock. Concurrent callers of one
// process share one refresh (the charitable version: without that, every caller refreshes).
import { Redis } from 'ioredis'
import { type AccessToken, AuthorizationCode } from 'simple-oauth2'
import {
  callConcurrently,
  type ParentMessage,
  readWorkerConfig,
  type WorkerMessage,
} from '../test/multiprocess/protocol.js'
import { type ChildMessage, serveParent } from './child.js'

const config = readWorkerConfig()
const redis = new Redis(config.redisUrl, {
  commandTimeout: config.commandTimeoutMs,
  maxRetriesPerRequest: 1,
})
redis.on('error', () => {})
const oauth = new AuthorizationCode({
  client: { id: config.clientId, secret: config.clientSecret },
  auth: { tokenHost: config.baseUrl, tokenPath: '/v1/oauth/token' },
  options: { authorizationMethod: 'body' },
  http: { headers: { 'x-api-key': config.clientSecret, 'x-publishable-key': config.clientId } },
})
await redis.ping()

let refreshing: Promise<AccessToken> | undefined

async function getAccessToken(key: string): Promise<string> {
  const raw = await redis.get(key)
  if (raw === null) throw new Error('not logged in')
  const token = oauth.createToken(JSON.parse(raw))
  if (!token.expired(60)) return String(token.token.access_token)
  refreshing ??= token
    .refresh({ scope: 'bolt.account.view' })
    .then(async (fresh) => {
      await redis.set(key, JSON.stringify(fresh.token))
      return fresh
    })
    .finally(() => {
      refreshing = undefined
    })
  return String((await refreshing).token.access_token)
}

/** The OAuth error code of a failed refresh (`invalid_grant`), from Wreck's response error. */
function codeOf(error: unknown): string {
  const payload = (error as { data?: { payload?: unknown } } | null)?.data?.payload
  const body =
    payload instanceof Buffer ? (JSON.parse(payload.toString()) as unknown) : (payload as unknown)
  const code = (body as { error?: unknown } | null | undefined)?.error
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}

const { send } = serveParent(async (message: ChildMessage): Promise<WorkerMessage | undefined> => {
  if (message.type !== 'go') return undefined
  const go = message as Extract<ParentMessage, { type: 'go' }>
  const results = await callConcurrently(go.concurrency, () => getAccessToken(go.sessionId), codeOf)
  return { type: 'results', results }
})
send({ type: 'ready' })
