/**
 * Starting `workerd serve` on a free loopback port: the config's socket is rebound to
 * `127.0.0.1:0`, and workerd reports the port it got on its control descriptor.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

/** The compatibility date every Worker we serve runs with (the runtime matrix, the benchmark). */
export const COMPATIBILITY_DATE = '2026-11-01'

/** A running workerd. */
export interface RunningWorkerd {
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** workerd's stdout and stderr so far (the worker's `console` goes there). */
  output(): string
  /** SIGTERM, then SIGKILL after 3 s; resolves once it exited. Idempotent. */
  stop(): Promise<void>
}

/** Options of {@link startWorkerd}. */
export interface StartWorkerdOptions {
  /** The `workerd` binary. */
  binary: string
  /** The `.capnp` config. */
  config: string
  /** The config's socket to rebind to a free loopback port. @default 'http' */
  socket?: string
  /** The environment, for `fromEnvironment` bindings. @default process.env */
  env?: NodeJS.ProcessEnv
  /** @default 15_000 */
  timeoutMs?: number
}

/** Starts workerd and resolves once its socket listens. */
export function startWorkerd(options: StartWorkerdOptions): Promise<RunningWorkerd> {
  const socket = options.socket ?? 'http'
  const child = spawn(
    options.binary,
    ['serve', options.config, '--socket-addr', `${socket}=127.0.0.1:0`, '--control-fd', '3'],
    { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
  )
  let output = ''
  const collect = (chunk: Buffer) => {
    output = `${output}${chunk.toString()}`.slice(-20_000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 3_000)
      await exited
      clearTimeout(killer)
    })()
    return stopping
  }

  return new Promise((resolve, reject) => {
    let listening = false
    const fail = (message: string) => {
      if (listening) return
      clearTimeout(timer)
      void stop().then(() => reject(new Error(`${message}\n${output.trim()}`)))
    }
    const timer = setTimeout(
      () => fail(`workerd did not listen within ${options.timeoutMs ?? 15_000} ms`),
      options.timeoutMs ?? 15_000,
    )
    child.once('error', (error) => fail(`workerd did not start: ${error.message}`))
    child.once('exit', (code, signal) => fail(`workerd exited (${signal ?? `code ${code}`})`))
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      const message = JSON.parse(line) as { event?: string; socket?: string; port?: number }
      if (message.event !== 'listen' || message.socket !== socket) return
      listening = true
      clearTimeout(timer)
      resolve({ url: `http://127.0.0.1:${message.port}`, output: () => output, stop })
    })
  })
}

/**
 * The smoke worker's config: the bundle `worker.js` next to it, outbound fetches to
 * loopback only ("local", which workerd refuses by default): the emulator, nothing else; and
 * the Durable Objects store's namespace (`SESSIONS`, of the `BoltSessionObject` the worker
 * exports), kept in memory.
 */
export function smokeWorkerConfig(compatibilityDate: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .smokeWorker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const smokeWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${compatibilityDate}",
  globalOutbound = "loopback",
  durableObjectNamespaces = [
    (className = "BoltSessionObject", uniqueKey = "bolt-runtimes-smoke", enableSql = true),
  ],
  durableObjectStorage = (inMemory = void),
  bindings = [(name = "SESSIONS", durableObjectNamespace = "BoltSessionObject")],
);
`
}
