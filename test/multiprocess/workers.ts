// Parent-side helpers of the multi-process tests: fork worker.ts, talk to it over IPC, kill it.
// Every worker still alive after a test is SIGKILLed, so a failed test leaves no process behind.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'
import {
  type ParentMessage,
  type WireEvent,
  WORKER_CONFIG_ENV,
  type WorkerConfig,
  type WorkerMessage,
} from './protocol.js'

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url))
const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const READY_TIMEOUT_MS = 10_000
const OUTPUT_LIMIT = 8_000

/** How a worker process ended. */
export interface WorkerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A forked worker. */
export interface Worker {
  /** A name for messages, e.g. `A`. */
  readonly name: string
  readonly child: ChildProcess
  /** Every lifecycle event the worker's manager forwarded, in order. */
  readonly events: WireEvent[]
  /** The worker's stderr (and stdout) so far, truncated to its last few KB. */
  output(): string
  /** Whether the process has not exited yet. */
  alive(): boolean
  /** Resolves once the process has exited. */
  readonly exited: Promise<WorkerExit>
}

/** Options of {@link spawnWorker}: the worker's configuration, and a name for messages. */
export interface SpawnWorkerOptions extends WorkerConfig {
  name?: string
}

const live = new Set<Worker>()

afterEach(async () => {
  const leftovers = [...live]
  for (const worker of leftovers) worker.child.kill('SIGKILL')
  await Promise.all(leftovers.map((worker) => worker.exited))
})

function describeExit({ code, signal }: WorkerExit): string {
  return signal === null ? `exit code ${code}` : `signal ${signal}`
}

function failure(worker: Worker, what: string): Error {
  const output = worker.output().trim()
  return new Error(
    `worker ${worker.name}: ${what}${output === '' ? '' : `\n--- its output ---\n${output}`}`,
  )
}

/** Forks a worker; resolves once its Redis client is connected (`ready`), rejects after 10 s. */
export function spawnWorker(options: SpawnWorkerOptions): Promise<Worker> {
  const { name = 'worker', ...config } = options
  const child = fork(WORKER_PATH, [], {
    cwd: REPOSITORY_ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  })
  let output = ''
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let ended: WorkerExit | undefined
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = { code, signal }
      resolve(ended)
    })
  })
  const events: WireEvent[] = []
  const worker: Worker = {
    name,
    child,
    events,
    output: () => output,
    alive: () => ended === undefined,
    exited,
  }
  live.add(worker)
  void exited.then(() => live.delete(worker))
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'event') events.push(message.event)
  })

  return new Promise<Worker>((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('error', onError)
      if (error === undefined) resolve(worker)
      else reject(error)
    }
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') settle()
      else if (message.type === 'crash') settle(failure(worker, `crashed: ${message.message}`))
    }
    const onError = (error: Error) => settle(failure(worker, `could not start: ${error.message}`))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      settle(failure(worker, `not ready within ${READY_TIMEOUT_MS} ms`))
    }, READY_TIMEOUT_MS)
    child.on('message', onMessage)
    child.once('error', onError)
    void exited.then((exit) =>
      settle(failure(worker, `exited before ready (${describeExit(exit)})`)),
    )
  })
}

/** Sends a message without waiting for any answer. */
export function post(worker: Worker, message: ParentMessage): void {
  if (!worker.alive() || !worker.child.connected) {
    throw failure(worker, `cannot send ${message.type}: the worker is gone`)
  }
  worker.child.send(message)
}

/**
 * Sends `message` and resolves with the worker's next message of type `replyType`. Rejects if
 * the worker crashes or exits first, or after `timeoutMs`.
 */
export function request<T extends WorkerMessage['type']>(
  worker: Worker,
  message: ParentMessage,
  replyType: T,
  timeoutMs = 15_000,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    let done = false
    const settle = (error: Error | undefined, reply?: Extract<WorkerMessage, { type: T }>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      worker.child.off('message', onMessage)
      if (error !== undefined) reject(error)
      else resolve(reply as Extract<WorkerMessage, { type: T }>)
    }
    const onMessage = (reply: WorkerMessage) => {
      if (reply.type === replyType) settle(undefined, reply as Extract<WorkerMessage, { type: T }>)
      else if (reply.type === 'crash') settle(failure(worker, `crashed: ${reply.message}`))
    }
    const timer = setTimeout(
      () => settle(failure(worker, `no ${replyType} within ${timeoutMs} ms of ${message.type}`)),
      timeoutMs,
    )
    worker.child.on('message', onMessage)
    void worker.exited.then((exit) =>
      settle(failure(worker, `exited (${describeExit(exit)}) before answering ${message.type}`)),
    )
    try {
      post(worker, message)
    } catch (error) {
      settle(error as Error)
    }
  })
}

/** Sends `signal` (SIGKILL by default) and resolves once the worker has exited. */
export async function kill(
  worker: Worker,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<WorkerExit> {
  if (worker.alive()) worker.child.kill(signal)
  return worker.exited
}

/** Asks the worker to exit cleanly; resolves with how it exited (SIGKILL after `timeoutMs`). */
export async function exitWorker(worker: Worker, timeoutMs = 5_000): Promise<WorkerExit> {
  post(worker, { type: 'exit' })
  let timer: NodeJS.Timeout | undefined
  const overdue = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
  })
  await Promise.race([worker.exited, overdue])
  clearTimeout(timer)
  return kill(worker)
}

/** Polls `condition` every 5 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
