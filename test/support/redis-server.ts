// Starting and probing redis-server processes, for the test run (redis-global-setup.ts, the
// cluster tests) and for the benchmark. Nothing here imports vitest.
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { Redis } from 'ioredis'

/** Whether `CI` is set (to anything but '', 'false' or '0'): then missing Redis fails the run. */
export function isCI(): boolean {
  const value = process.env.CI
  return value !== undefined && value !== '' && value !== 'false' && value !== '0'
}

/** The absolute path of `command` in one of PATH's directories, or null. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return null
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))))
    })
  })
}

/** Resolves when `url` answers PING; rejects after `timeoutMs` (one attempt, no retries). */
export async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  })
  let lastError: unknown
  client.on('error', (error: unknown) => {
    lastError = error
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      (async () => {
        await client.connect()
        const answer = await client.ping()
        if (answer !== 'PONG') throw new Error(`PING answered ${JSON.stringify(answer)}`)
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to PING within ${timeoutMs} ms`)),
          timeoutMs,
        )
      }),
    ])
  } catch (error) {
    const cause = lastError ?? error
    throw new Error(cause instanceof Error ? cause.message : String(cause), { cause })
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}

/** Polls PING until `url` answers or `timeoutMs` passes; `abort` ends the wait early. */
export async function waitForRedis(
  url: string,
  timeoutMs: number,
  abort: () => Error | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const aborted = abort()
    if (aborted) throw aborted
    try {
      await pingRedis(url, Math.max(100, Math.min(1000, deadline - Date.now())))
      return
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(`${url} did not answer PING within ${timeoutMs} ms`, { cause: error })
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export interface RedisServerProcess {
  readonly host: string
  readonly port: number
  readonly url: string
  /** The working directory (a fresh temp dir, removed by stop()). */
  readonly dir: string
  readonly child: ChildProcess
  /** SIGTERM (SIGKILL after 5 s), wait for the exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>
}

// Children still running when this process exits are killed (a crashed run leaves none behind).
const running = new Set<ChildProcess>()
let exitHookInstalled = false
/** Kills `child` with SIGKILL if it is still running when this process exits. */
export function killOnExit(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

/**
 * Starts `redis-server` on a free loopback port (no persistence), in a fresh temp dir as cwd,
 * and waits until it answers PING. `extraArgs` are appended (e.g. cluster options); a function
 * receives the port and the directory.
 */
export async function startRedisServer(
  options: {
    serverPath?: string
    extraArgs?: (port: number, dir: string) => string[] | Promise<string[]>
    timeoutMs?: number
  } = {},
): Promise<RedisServerProcess> {
  const serverPath = options.serverPath ?? findOnPath('redis-server')
  if (serverPath === null) throw new Error('redis-server is not on PATH')
  const timeoutMs = options.timeoutMs ?? 5000
  let lastError: unknown
  // The port can be taken between freePort() and the server binding it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const dir = await mkdtemp(join(tmpdir(), 'bolt-redis-'))
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...((await options.extraArgs?.(port, dir)) ?? []),
    ]
    const child = spawn(serverPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    killOnExit(child)
    let output = ''
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000)
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    let exited: Error | undefined
    const exitedPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exited = new Error(
          `redis-server on port ${port} exited (${signal ?? `code ${code}`}):\n${output.trim()}`,
        )
        resolve()
      })
      child.once('error', (error) => {
        exited = error
        resolve()
      })
    })
    const url = `redis://127.0.0.1:${port}`
    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null && exited === undefined) {
          child.kill('SIGTERM')
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
          await exitedPromise
          clearTimeout(killer)
        }
        await rm(dir, { recursive: true, force: true })
      })()
      return stopping
    }
    try {
      await waitForRedis(url, timeoutMs, () => exited)
      return { host: '127.0.0.1', port, url, dir, child, stop }
    } catch (error) {
      lastError = exited ?? error
      await stop()
      // Only a lost race for the port is worth another attempt.
      if (!/address already in use/i.test(output)) break
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError))
}

/** `url` without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparseable REDIS_URL>'
  }
}
