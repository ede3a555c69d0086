// TEST SUPPORT, NOT A PART OF THE PRODUCT. A small HTTP server that speaks the Redis REST
// protocol Upstash documents (https://upstash.com/docs/redis/features/restapi), so that tests,
// the bench and the runtime matrix can run the real `@upstash/redis` client against a real
// redis-server: each command is forwarded as it is with ioredis' `call`. It implements what
// that client sends, and nothing of Upstash's service (no limits, no replication, no REST
// subscriptions):
// - `POST /` with one command as a JSON array (`["SET","k","v"]`) → `{"result": …}`;
// - `POST /pipeline` with an array of commands → `[{"result": …} | {"error": "…"}, …]` (not
//   atomic); `POST /multi-exec` → the same shape, run as one MULTI/EXEC transaction;
// - bearer auth (`Authorization: Bearer <token>`, or `?_token=`): 401 without it;
// - `Upstash-Encoding: base64`: every string of a result base64-encoded, except `OK`;
// - a failed command is `{"error": "…"}` with status 400 (200 inside a pipeline's array).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'

/** Options of {@link startUpstashServer}. */
export interface UpstashServerOptions {
  /** The redis-server every command goes to. */
  redisUrl: string
  /** The bearer token clients must send. @default a fixed test token */
  token?: string
  /** @default '127.0.0.1' */
  host?: string
  /** @default 0 (a free port) */
  port?: number
}

/** What the server counted since it started (or since `resetStats()`): never arguments. */
export interface UpstashServerStats {
  /** HTTP requests that passed authentication. */
  requests: number
  /** Those requests by route: `/`, `/pipeline`, `/multi-exec`. */
  routes: Record<string, number>
  /** Commands run, by upper-case name (a pipeline of three counts three). */
  commands: Record<string, number>
  /** Requests refused with 401. */
  unauthorized: number
}

/** A running test server. */
export interface UpstashTestServer {
  /** The REST URL to give `new Redis({ url, token })`. */
  readonly url: string
  readonly token: string
  stats(): UpstashServerStats
  resetStats(): void
  close(): Promise<void>
}

const DEFAULT_TOKEN = 'upstash-test-token'
const MAX_BODY_BYTES = 16 * 1024 * 1024
/** Commands that would change the shared connection's state, or block it. */
const REFUSED = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SELECT',
  'AUTH',
  'HELLO',
  'QUIT',
  'RESET',
  'CLIENT',
  'BLPOP',
  'BRPOP',
  'BLMOVE',
  'BRPOPLPUSH',
  'BZPOPMIN',
  'BZPOPMAX',
  'BLMPOP',
  'BZMPOP',
  'XREAD',
  'XREADGROUP',
  'WAIT',
])

type Command = [string, ...string[]]

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Starts the server on a free port of 127.0.0.1 (by default), with its own ioredis client. */
export async function startUpstashServer(
  options: UpstashServerOptions,
): Promise<UpstashTestServer> {
  const token = options.token ?? DEFAULT_TOKEN
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', () => {
    // surfaced by the commands' rejections, as errors to the HTTP client
  })
  await redis.connect()
  let stats = emptyStats()

  async function run(command: Command): Promise<unknown> {
    const [name, ...args] = command
    return redis.call(name, ...args)
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://upstash.test')
    if (!authorized(request, url, token)) {
      stats.unauthorized++
      return send(response, 401, { error: 'Unauthorized: missing or invalid bearer token' })
    }
    if (request.method !== 'POST')
      throw new HttpError(405, `ERR method ${request.method} not supported (POST a JSON body)`)
    const route = url.pathname
    if (route !== '/' && route !== '/pipeline' && route !== '/multi-exec')
      throw new HttpError(404, `ERR unknown route ${route}`)
    const body = JSON.parse(await readBody(request)) as unknown
    stats.requests++
    stats.routes[route] = (stats.routes[route] ?? 0) + 1
    const encode = request.headers['upstash-encoding'] === 'base64' ? toBase64 : (v: unknown) => v

    if (route === '/') {
      const command = toCommand(body)
      count(command)
      try {
        return send(response, 200, { result: encode(await run(command)) })
      } catch (error) {
        throw new HttpError(400, replyError(error))
      }
    }
    if (!Array.isArray(body) || body.length === 0)
      throw new HttpError(400, 'ERR the body must be a non-empty array of commands')
    const commands = body.map(toCommand)
    for (const command of commands) count(command)
    const settled =
      route === '/pipeline'
        ? // Sent in order on one connection: Redis runs them in that order.
          await Promise.allSettled(commands.map(run))
        : await transaction(commands)
    return send(
      response,
      200,
      settled.map((outcome) =>
        outcome.status === 'fulfilled'
          ? { result: encode(outcome.value) }
          : { error: replyError(outcome.reason) },
      ),
    )
  }

  async function transaction(commands: Command[]): Promise<PromiseSettledResult<unknown>[]> {
    const multi = redis.multi()
    for (const [name, ...args] of commands) multi.call(name, ...args)
    let replies: [Error | null, unknown][] | null
    try {
      replies = await multi.exec()
    } catch (error) {
      throw new HttpError(400, replyError(error))
    }
    if (replies === null) throw new HttpError(400, 'EXECABORT the transaction was aborted')
    return replies.map(([error, value]) =>
      error === null ? { status: 'fulfilled', value } : { status: 'rejected', reason: error },
    )
  }

  function count(command: Command): void {
    const name = command[0].toUpperCase()
    stats.commands[name] = (stats.commands[name] ?? 0) + 1
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HttpError) send(response, error.status, { error: error.message })
      else if (error instanceof SyntaxError)
        send(response, 400, { error: 'ERR the body is not valid JSON' })
      else send(response, 500, { error: `ERR ${replyError(error)}` })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    token,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats()
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}

function emptyStats(): UpstashServerStats {
  return { requests: 0, routes: {}, commands: {}, unauthorized: 0 }
}

function authorized(request: IncomingMessage, url: URL, token: string): boolean {
  const header = request.headers.authorization
  if (header !== undefined) return header === `Bearer ${token}`
  return url.searchParams.get('_token') === token
}

function toCommand(value: unknown): Command {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((part) => ['string', 'number', 'boolean'].includes(typeof part))
  )
    throw new HttpError(400, 'ERR a command is a non-empty JSON array of strings and numbers')
  const [name, ...args] = value.map(String) as Command
  if (REFUSED.has(name.toUpperCase()))
    throw new HttpError(400, `ERR ${name} is not supported over REST by this test server`)
  return [name, ...args]
}

/** Redis' own error message (`WRONGTYPE …`, `NOSCRIPT …`), without ioredis' additions. */
function replyError(error: unknown): string {
  if (error instanceof HttpError) return error.message
  return error instanceof Error ? error.message : String(error)
}

/** `Upstash-Encoding: base64`: every string, at any depth, except the status reply `OK`. */
function toBase64(value: unknown): unknown {
  if (typeof value === 'string')
    return value === 'OK' ? value : Buffer.from(value).toString('base64')
  if (Array.isArray(value)) return value.map(toBase64)
  return value
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'ERR the body is too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}
