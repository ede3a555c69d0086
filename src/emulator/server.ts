import { setMaxListeners } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { ACCOUNT_PATH, type AccountApiContext, answerAccountRequest } from './account-api.js'
import type { EmulatorClock } from './clock.js'
import { answerControlRequest, CONTROL_PREFIX } from './control-api.js'
import {
  answerDiscovery,
  answerJwks,
  DISCOVERY_PATH,
  type DiscoveryContext,
  JWKS_PATH,
} from './discovery.js'
import type { FaultQueue } from './fault-queue.js'
import { BodyTooLargeError, errorReply, type Reply, readBody, sendReply } from './http.js'
import { checkLocalRequest } from './local-request.js'
import type { RateLimiter } from './rate-limit.js'
import { describeTokenRequest, type RequestLog } from './stats.js'
import { answerTokenRequest, TOKEN_PATHS, type TokenEndpointContext } from './token-endpoint.js'
import type { BoltEmulator, EmulatorFault, FaultRoute } from './types.js'

/** Everything the HTTP layer routes requests to. */
export interface EmulatorServerContext
  extends TokenEndpointContext,
    AccountApiContext,
    DiscoveryContext {
  clock: EmulatorClock
  faults: FaultQueue
  log: RequestLog
  /** The emulator object, for the control API (it exists once the server listens). */
  emulator: () => BoltEmulator
  /** The token endpoint's rate limit (the `rateLimit` option), if any. */
  rateLimiter: () => RateLimiter | undefined
}

/** A listening emulator server. */
export interface RunningServer {
  port: number
  /** Stops listening, destroys every connection and abandons pending delays. Idempotent. */
  close(): Promise<void>
}

const MAX_BODY_BYTES = 1024 * 1024

/** Starts the `node:http` server on `host:port` (port `0` = a free port). */
export async function startServer(
  context: EmulatorServerContext,
  port: number,
  host: string,
): Promise<RunningServer> {
  const shutdown = new AbortController()
  // Every answer held by a `delay` fault listens on it: a stampede holds dozens at once.
  setMaxListeners(0, shutdown.signal)
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    route(context, shutdown.signal, req, res).catch(() => {
      if (shutdown.signal.aborted) return
      if (!sendReply(res, errorReply(500, 'server_error', 'The emulator failed'))) req.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') {
    throw new Error('The emulator server has no TCP address')
  }

  let closing: Promise<void> | undefined
  return {
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        shutdown.abort()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        // Keep-alive and in-flight connections would hold close() open.
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}

async function route(
  context: EmulatorServerContext,
  signal: AbortSignal,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET'
  const target = new URL(req.url ?? '/', 'http://emulator.invalid')
  const path = target.pathname
  let body: string
  try {
    body = await readBody(req, MAX_BODY_BYTES)
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) {
      req.destroy()
      return
    }
    sendReply(res, {
      ...errorReply(413, 'invalid_request', error.message),
      headers: { 'content-type': 'application/json', connection: 'close' },
    })
    return
  }

  const refusal = checkLocalRequest(
    method,
    req.headers,
    path.startsWith(CONTROL_PREFIX) ? 'control' : 'api',
  )
  if (refusal !== undefined) {
    sendReply(res, errorReply(refusal.status, refusal.error, refusal.description))
    return
  }

  if (TOKEN_PATHS.includes(path)) {
    context.stats.tokenRequests += 1
    const entry = context.log.record(describeTokenRequest(path, body, context.clock.now()))
    const admission = context.rateLimiter()?.admit()
    if (admission?.admitted === false) {
      context.stats.rateLimited += 1
      sendReply(res, admission.reply)
      entry.status = admission.reply.status
      return
    }
    try {
      const answered = await answerWithFault(context, signal, 'token', req, res, () =>
        answerTokenRequest(context, { method, headers: req.headers, body }),
      )
      if (answered !== undefined) entry.status = answered
    } finally {
      admission?.done()
    }
    return
  }
  if (path === ACCOUNT_PATH || path.startsWith(`${ACCOUNT_PATH}/`)) {
    await answerWithFault(context, signal, 'account', req, res, () =>
      answerAccountRequest(context, {
        method,
        path,
        query: target.searchParams,
        headers: req.headers,
        body,
      }),
    )
    return
  }
  if (path === DISCOVERY_PATH) {
    await answerWithFault(context, signal, 'discovery', req, res, () =>
      answerDiscovery(context, method),
    )
    return
  }
  if (path === JWKS_PATH) {
    context.stats.jwksRequests += 1
    await answerWithFault(context, signal, 'jwks', req, res, () => answerJwks(context, method))
    return
  }
  if (path.startsWith(CONTROL_PREFIX)) {
    sendReply(
      res,
      await answerControlRequest(context.emulator(), {
        method,
        path,
        query: target.searchParams,
        body,
      }),
    )
    return
  }
  sendReply(res, errorReply(404, 'not_found', `No route for ${method} ${path}`))
}

/**
 * Answers with `answer()`, or with the route's next queued fault applied.
 * Returns the status written, or `undefined` when nothing was written.
 */
async function answerWithFault(
  context: EmulatorServerContext,
  signal: AbortSignal,
  faultRoute: FaultRoute,
  req: IncomingMessage,
  res: ServerResponse,
  answer: () => Reply | Promise<Reply>,
): Promise<number | undefined> {
  const fault = context.faults.take(faultRoute)
  if (fault?.type === 'respond') return send(res, faultReply(fault))
  if (fault?.type === 'stall') {
    stall(res, fault)
    return undefined
  }
  if (fault?.type === 'drop' && fault.when === 'before') {
    req.socket.destroy()
    return undefined
  }
  if (fault?.type === 'delay') await sleep(fault.ms, undefined, { signal })
  const reply = await answer()
  if (fault?.type === 'drop') {
    req.socket.destroy()
    return undefined
  }
  if (fault?.type === 'transform') return send(res, transformReply(reply, fault))
  return send(res, reply)
}

function send(res: ServerResponse, reply: Reply): number | undefined {
  return sendReply(res, reply) ? reply.status : undefined
}

function faultReply(fault: Extract<EmulatorFault, { type: 'respond' }>): Reply {
  return { status: fault.status, headers: faultHeaders(fault.headers), body: fault.body }
}

function faultHeaders(given: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(given ?? {})) {
    headers[name.toLowerCase()] = value
  }
  headers['content-type'] ??= 'application/json'
  return headers
}

/** What a stalled answer sends before it stops: the start of a token response. */
const STALLED_BODY = '{"access_token":"'

/**
 * Starts an answer and never finishes it. Without `Content-Length` the body is chunked,
 * and the last chunk never comes; closing the server destroys the connection.
 */
function stall(res: ServerResponse, fault: Extract<EmulatorFault, { type: 'stall' }>): void {
  if (res.destroyed || res.socket === null || res.socket.destroyed) return
  const headers = faultHeaders(fault.headers)
  delete headers['content-length']
  res.writeHead(fault.status ?? 200, headers)
  res.write(fault.body ?? STALLED_BODY)
}

function transformReply(reply: Reply, fault: Extract<EmulatorFault, { type: 'transform' }>): Reply {
  let json: unknown
  try {
    json = JSON.parse(reply.body)
  } catch {
    return reply
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return reply
  const fields = json as Record<string, unknown>
  for (const name of fault.omit ?? []) delete fields[name]
  Object.assign(fields, fault.set)
  return { ...reply, body: JSON.stringify(fields) }
}
