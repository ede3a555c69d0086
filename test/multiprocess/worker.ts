// One backend instance, for the multi-process tests and the bench's stampede: its own store
// client (Redis on the shared prefix unless the configuration names another store of stores/),
// its own token manager, driven over IPC (see protocol.ts).
// Forked under tsx by workers.ts (tests) and bench/child.ts (bench). It never prints a token.
import { isBoltTokenError } from '../../src/errors.js'
import { createTokenManager, type TokenManager } from '../../src/manager/token-manager.js'
import {
  callConcurrently,
  describeError,
  type ParentMessage,
  readWorkerConfig,
  type WireEvent,
  type WorkerMessage,
} from './protocol.js'
import { openWorkerStore } from './stores/index.js'

let crashed = false
let exitRequested = false

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined || !process.connected) {
      reject(new Error('the IPC channel to the parent is closed'))
      return
    }
    process.send(message, undefined, {}, (error: Error | null) => {
      if (error === null) resolve()
      else reject(error)
    })
  })
}

function crash(error: unknown): void {
  if (crashed) return
  crashed = true
  const message = describeError(error)
  process.stderr.write(`worker ${process.pid} crashed: ${message}\n`)
  const exit = () => process.exit(1)
  // The crash report is best effort; never wait for it longer than a second.
  setTimeout(exit, 1000).unref()
  send({ type: 'crash', message }).then(exit, exit)
}

process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)
// The parent went away: nobody is left to talk to.
process.on('disconnect', () => {
  if (!exitRequested && !crashed) process.exit(1)
})

function toWire(event: Parameters<Parameters<TokenManager['subscribe']>[0]>[0]): WireEvent {
  if (event.type !== 'error') return { ...event }
  return {
    type: 'error',
    sessionId: event.sessionId,
    error: { code: event.error.code, message: event.error.message },
    detail: event.detail,
    at: event.at,
  }
}

function codeOf(error: unknown): string {
  return isBoltTokenError(error) ? error.code : 'NOT_A_BOLT_TOKEN_ERROR'
}

async function main(): Promise<void> {
  const config = readWorkerConfig()
  const opened = await openWorkerStore(
    config.store ?? {
      module: 'redis',
      options: {
        url: config.redisUrl,
        prefix: config.prefix,
        commandTimeoutMs: config.commandTimeoutMs,
      },
    },
  )
  const { store } = opened
  let { clockOffsetMs } = config
  const tokens = createTokenManager({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    baseUrl: config.baseUrl,
    store,
    clock: () => Date.now() + clockOffsetMs,
    ...config.timing,
  })
  const unsubscribe = config.forwardEvents
    ? tokens.subscribe((event) => {
        send({ type: 'event', event: toWire(event) }).catch(crash)
      })
    : () => {}
  // A backend instance has its notification connection open before a stampede comes.
  const unsubscribeWarmUp = await store.subscribe('warm-up', () => {})
  unsubscribeWarmUp()

  async function handle(message: ParentMessage): Promise<void> {
    switch (message.type) {
      case 'go': {
        if (message.clockOffsetMs !== undefined) clockOffsetMs = message.clockOffsetMs
        const results = await callConcurrently(
          message.concurrency,
          () => tokens.getAccessToken(message.sessionId),
          codeOf,
        )
        await send({ type: 'results', results })
        return
      }
      case 'herd': {
        const perSession = await Promise.all(
          message.sessionIds.map((sessionId) =>
            callConcurrently(message.callers, () => tokens.getAccessToken(sessionId), codeOf),
          ),
        )
        await send({ type: 'results', results: perSession.flat() })
        return
      }
      case 'status':
        await send({ type: 'status', status: await tokens.getStatus(message.sessionId) })
        return
      case 'exit':
        exitRequested = true
        unsubscribe()
        await opened.close()
        process.exit(0)
    }
  }

  process.on('message', (message: ParentMessage) => {
    handle(message).catch(crash)
  })
  await send({ type: 'ready' })
}

main().catch(crash)
