/**
 * Child processes of the benchmark (the emulator, the stampede's backend instances, the heap
 * measurement): forked TypeScript files run by tsx, talking JSON over IPC. Every child still
 * running when the benchmark exits is killed.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { killOnExit } from '../test/support/redis-server.js'

const REPOSITORY_ROOT = fileURLToPath(new URL('../', import.meta.url))
const READY_TIMEOUT_MS = 20_000
const OUTPUT_LIMIT = 8_000

/** Every message a child sends carries a `type`; `ready` and `crash` are reserved. */
export interface ChildMessage {
  type: string
}

/** A forked child that said it was ready. */
export interface Child<Ready extends ChildMessage> {
  readonly process: ChildProcess
  /** The child's `ready` message (what it wants the parent to know, e.g. its URL). */
  readonly ready: Ready
  /** Sends `message` and resolves with the child's next message of type `replyType`. */
  request<Reply extends ChildMessage>(
    message: ChildMessage,
    replyType: Reply['type'],
    timeoutMs?: number,
  ): Promise<Reply>
  /** Sends a message without waiting. */
  post(message: ChildMessage): void
  /** Disconnects and waits for the exit (SIGKILL after 5 s). Idempotent. */
  close(): Promise<void>
}

/**
 * Forks `file` (a path relative to `bench/`) under tsx, with extra Node flags, and waits for
 * its `ready` message. The child's stderr is kept and shown if it fails.
 */
export function spawnChild<Ready extends ChildMessage>(
  file: string,
  options: { env?: Record<string, string>; nodeFlags?: string[]; name?: string } = {},
): Promise<Child<Ready>> {
  const name = options.name ?? file
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    cwd: REPOSITORY_ROOT,
    execArgv: [...(options.nodeFlags ?? []), '--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'json',
  })
  killOnExit(child)
  let output = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT)
  })
  let exitCode: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = signal ?? `code ${code}`
      resolve()
    })
  })
  const failure = (what: string) =>
    new Error(
      `${name}: ${what}${output.trim() === '' ? '' : `\n--- its stderr ---\n${output.trim()}`}`,
    )

  const request = <Reply extends ChildMessage>(
    message: ChildMessage,
    replyType: Reply['type'],
    timeoutMs = 60_000,
  ): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      let done = false
      const settle = (error: Error | undefined, reply?: Reply) => {
        if (done) return
        done = true
        clearTimeout(timer)
        child.off('message', onMessage)
        if (error === undefined) resolve(reply as Reply)
        else reject(error)
      }
      const onMessage = (reply: ChildMessage & { message?: string }) => {
        if (reply.type === replyType) settle(undefined, reply as Reply)
        else if (reply.type === 'crash') settle(failure(`crashed: ${reply.message ?? ''}`))
      }
      const timer = setTimeout(
        () => settle(failure(`no ${replyType} within ${timeoutMs} ms of ${message.type}`)),
        timeoutMs,
      )
      child.on('message', onMessage)
      void exited.then(() =>
        settle(failure(`exited (${exitCode}) before answering ${message.type}`)),
      )
      if (!child.connected) settle(failure(`cannot send ${message.type}: the child is gone`))
      else child.send(message)
    })

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      if (exitCode !== undefined) return
      if (child.connected) child.disconnect()
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(killer)
    })()
    return closing
  }

  return new Promise<Child<Ready>>((resolve, reject) => {
    let settled = false
    const settle = (error: Error | undefined, ready?: Ready) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.off('message', onMessage)
      if (error !== undefined) {
        child.kill('SIGKILL')
        reject(error)
        return
      }
      resolve({
        process: child,
        ready: ready as Ready,
        request,
        post: (message) => child.send(message),
        close,
      })
    }
    const onMessage = (message: ChildMessage & { message?: string }) => {
      if (message.type === 'ready') settle(undefined, message as Ready)
      else if (message.type === 'crash') settle(failure(`crashed: ${message.message ?? ''}`))
    }
    const timer = setTimeout(
      () => settle(failure(`not ready within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    )
    child.on('message', onMessage)
    child.once('error', (error) => settle(failure(`could not start: ${error.message}`)))
    void exited.then(() => settle(failure(`exited (${exitCode}) before it was ready`)))
  })
}

/**
 * The child side: reports crashes to the parent, exits when the parent goes away, and
 * routes each message to `handle`, whose result (if any) is sent back.
 */
export function serveParent(handle: (message: ChildMessage) => Promise<ChildMessage | undefined>): {
  send<Message extends ChildMessage>(message: Message): void
} {
  const send = <Message extends ChildMessage>(message: Message) => {
    if (process.send !== undefined && process.connected) process.send(message)
  }
  const crash = (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    process.stderr.write(`${message}\n`)
    send({ type: 'crash', message } as ChildMessage)
    setTimeout(() => process.exit(1), 200).unref()
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', crash)
  process.on('disconnect', () => process.exit(0))
  process.on('message', (message: ChildMessage) => {
    handle(message).then((reply) => {
      if (reply !== undefined) send(reply)
    }, crash)
  })
  return { send }
}
