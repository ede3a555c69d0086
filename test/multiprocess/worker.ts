// A child process for the multi-process tests: its own ioredis client, its own token manager on
// the shared Redis prefix, driven over IPC (see protocol.ts). Started by workers.ts with
// `fork(..., { execArgv: ['--import', 'tsx'] })`. It never prints a token.
import { Redis } from 'ioredis'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { isBoltTokenError } from '../../src/errors.js'
import { createTokenManager, type TokenManager } from '../../src/manager/token-manager.js'
import {
  type CallResult,
  type ParentMessage,
  type WireEvent,
  WORKER_CONFIG_ENV,
  type WorkerConfig,
  type WorkerMessage,
} from './protocol.js'

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

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function crash(error: unknown): void {
  if (crashed) return
  crashed = true
  const message = describe(error)
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

function readConfig(): WorkerConfig {
  const raw = process.env[WORKER_CONFIG_ENV]
  if (raw === undefined) throw new Error(`${WORKER_CONFIG_ENV} is not set`)
  const config = JSON.parse(raw) as Partial<WorkerConfig>
  for (const name of ['redisUrl', 'prefix', 'baseUrl', 'clientId', 'clientSecret'] as const) {
    if (typeof config[name] !== 'string') throw new Error(`config.${name} must be a string`)
  }
  for (const name of ['clockOffsetMs', 'timeoutMs', 'leaseMs', 'pollIntervalMs'] as const) {
    if (typeof config[name] !== 'number') throw new Error(`config.${name} must be a number`)
  }
  return config as WorkerConfig
}

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

async function call(tokens: TokenManager, sessionId: string): Promise<CallResult> {
  try {
    return { ok: true, token: await tokens.getAccessToken(sessionId) }
  } catch (error) {
    if (isBoltTokenError(error)) return { ok: false, code: error.code, message: error.message }
    return { ok: false, code: 'NOT_A_BOLT_TOKEN_ERROR', message: describe(error) }
  }
}

async function main(): Promise<void> {
  const config = readConfig()
  const client = new Redis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
  })
  client.on('error', () => {
    // surfaced by the commands' rejections (STORE_UNAVAILABLE)
  })
  await client.connect()
  const store: RedisStore = createRedisStore(client, { prefix: config.prefix })
  const { clockOffsetMs } = config
  const tokens = createTokenManager({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    baseUrl: config.baseUrl,
    store,
    clock: () => Date.now() + clockOffsetMs,
    timeoutMs: config.timeoutMs,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
  })
  const unsubscribe = tokens.subscribe((event) => {
    send({ type: 'event', event: toWire(event) }).catch(crash)
  })

  async function handle(message: ParentMessage): Promise<void> {
    switch (message.type) {
      case 'go': {
        const results = await Promise.all(
          Array.from({ length: message.concurrency }, () => call(tokens, message.sessionId)),
        )
        await send({ type: 'results', results })
        return
      }
      case 'status':
        await send({ type: 'status', status: await tokens.getStatus(message.sessionId) })
        return
      case 'exit':
        exitRequested = true
        unsubscribe()
        await store.close()
        await client.quit()
        process.exit(0)
    }
  }

  process.on('message', (message: ParentMessage) => {
    handle(message).catch(crash)
  })
  await send({ type: 'ready' })
}

main().catch(crash)
