// The Deno KV store on Deno itself, against Deno.openKv(file): the conformance suite (through
// deno/conformance.ts, its small describe/it/expect shim) and the multi-process stampede (two
// Deno processes on one KV file). The scripts are bundled with esbuild and run by the Deno of
// the runtime matrix (runtimes/node_modules); without it the suite is skipped loudly, and
// under CI it fails.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDenoKvStore } from '../../adapters/storage/deno-kv.js'
import { BINARIES } from '../../runtimes/lib/install.js'
import { refreshRequests, type SharedStore, startExpiredSession } from '../multiprocess/scenario.js'
import { openTestKv, randomKvPrefix, tempKvPath } from '../support/deno-kv.js'
import { isCI } from '../support/redis-global-setup.js'
import type { StampedeWorkerConfig, StampedeWorkerResult } from './deno/stampede-worker.js'

const DENO = BINARIES.deno
const SUITE_TESTS = 19
const PROCESSES = ['A', 'B']
const CONCURRENCY = 50

const missingDeno = `no Deno at ${DENO} (install the runtimes from the npm registry: npm run runtimes:install)`

/** `describe` when Deno is installed; otherwise skipped with the reason in its title, or an error under CI. */
function describeDeno(name: string, body: () => void): void {
  if (existsSync(DENO)) {
    describe(name, body)
    return
  }
  if (isCI()) throw new Error(`${name} cannot run: ${missingDeno}, and CI is set`)
  console.warn(`!!! DENO KV ON DENO SKIPPED: ${missingDeno}`)
  describe.skip(`${name} (skipped: ${missingDeno})`, body)
}

const workDir = dirname(tempKvPath())
const scripts = {
  conformance: join(workDir, 'conformance.js'),
  worker: join(workDir, 'stampede-worker.js'),
}

/** Deno with KV, loopback and the temp folder only. */
const denoArgs = (script: string, ...args: string[]) => [
  'run',
  '--unstable-kv',
  '--no-prompt',
  '--allow-net=127.0.0.1',
  `--allow-read=${workDir}`,
  `--allow-write=${workDir}`,
  script,
  ...args,
]

const children = new Set<ChildProcess>()
afterEach(() => {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
})

/** Spawns Deno; `lines` yields its stdout line by line; stderr is kept for failures. */
function startDeno(script: string, ...args: string[]) {
  const child = spawn(DENO, denoArgs(script, ...args), {
    cwd: workDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  children.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000)
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  /** Resolves with the first line starting with `prefix` (rejects if Deno exits first). */
  const lineStarting = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const onLine = (line: string) => {
        if (!line.startsWith(prefix)) return
        lines.off('line', onLine)
        resolve(line.slice(prefix.length))
      }
      lines.on('line', onLine)
      void exited.then((code) =>
        reject(new Error(`deno exited (${code}) before ${prefix.trim()}:\n${stderr}`)),
      )
    })
  return { child, exited, lineStarting }
}

describeDeno('the Deno KV store on Deno (Deno.openKv on a local file)', () => {
  beforeAll(async () => {
    const source = (name: string) => fileURLToPath(new URL(`./deno/${name}.ts`, import.meta.url))
    await Promise.all(
      Object.entries(scripts).map(([name, outfile]) =>
        build({
          entryPoints: [source(name === 'worker' ? 'stampede-worker' : name)],
          outfile,
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'es2022',
          logLevel: 'warning',
        }),
      ),
    )
  })

  it(`passes the conformance suite: ${SUITE_TESTS} tests, none failed`, {
    timeout: 60_000,
  }, async () => {
    const deno = startDeno(scripts.conformance, join(workDir, 'conformance.sqlite3'))
    const result = JSON.parse(await deno.lineStarting('RESULT ')) as {
      passed: string[]
      failed: { name: string; error: string }[]
    }
    expect(result.failed).toEqual([])
    expect(result.passed).toHaveLength(SUITE_TESTS)
    expect(await deno.exited).toBe(0)
  })

  it(`${PROCESSES.length} Deno processes × ${CONCURRENCY} concurrent getAccessToken on one KV file: one refresh, zero failures, one token`, {
    timeout: 60_000,
  }, async () => {
    const path = join(workDir, 'stampede.sqlite3')
    const prefix = randomKvPrefix()
    // The test process logs the shopper in through @deno/kv on the same file (Deno reads it).
    const kv = await openTestKv(path)
    const shared = (): SharedStore => {
      const store = createDenoKvStore(kv, { prefix })
      return { store, close: () => store.close(), worker: { module: 'deno-kv', options: {} } }
    }
    const { bolt, parent, sessionId, workerOptions } = await startExpiredSession({}, shared)
    expect((await parent.getStatus(sessionId)).state).toBe('expired')
    bolt.injectFault({ type: 'delay', ms: 200 })
    const { baseUrl, clientId, clientSecret, clockOffsetMs } = workerOptions('deno', {
      timeoutMs: 5_000,
      leaseMs: 8_000,
      pollIntervalMs: 100,
    })
    const config: StampedeWorkerConfig = {
      path,
      prefix,
      baseUrl,
      clientId,
      clientSecret,
      clockOffsetMs,
      sessionId,
      concurrency: CONCURRENCY,
      timing: { timeoutMs: 5_000, leaseMs: 8_000, pollIntervalMs: 100 },
    }

    const workers = PROCESSES.map(() => startDeno(scripts.worker, JSON.stringify(config)))
    await Promise.all(workers.map((worker) => worker.lineStarting('READY')))
    for (const worker of workers) worker.child.stdin?.write('go\n')
    const results = (
      await Promise.all(workers.map((worker) => worker.lineStarting('RESULT ')))
    ).map((line) => JSON.parse(line) as StampedeWorkerResult)

    expect(results.flatMap((result) => result.outcomes)).toEqual(
      Array(PROCESSES.length * CONCURRENCY).fill('ok'),
    )
    const digests = new Set(results.flatMap((result) => result.tokenDigests))
    expect(digests.size).toBe(1)
    expect(bolt.stats).toEqual(
      expect.objectContaining({ refreshes: 1, reuseDetected: 0, invalidGrants: 0 }),
    )
    expect(refreshRequests(bolt)).toHaveLength(1)
    const transitions = results.flatMap((result) => result.transitions)
    expect(transitions.filter((event) => event === 'REFRESH_STARTED')).toHaveLength(1)
    expect(transitions.filter((event) => event === 'REFRESH_SUCCEEDED')).toHaveLength(1)
    expect(results.map((result) => result.transitions.includes('REFRESH_STARTED'))).toContain(false)
    expect(results.flatMap((result) => result.errors)).toEqual([])
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0])

    // The test process reads the same token from the file, without asking Bolt again.
    const requestsBefore = bolt.stats.tokenRequests
    const token = await parent.getAccessToken(sessionId)
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
    expect(digests.has(Buffer.from(digest).toString('hex'))).toBe(true)
    expect(bolt.stats.tokenRequests).toBe(requestsBefore)
  })
})
