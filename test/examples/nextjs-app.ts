/**
 * Builds examples/nextjs with `next build` and serves it with `next start`, for
 * nextjs.test.ts. The build is reused while its inputs are unchanged: their hash is kept next to
 * it, in `.next/` (gitignored), so a rerun (or a CI job that caches `examples/nextjs/.next`)
 * starts in about a second.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../support/redis-server.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const exampleDir = join(root, 'examples/nextjs')
const nextCli = join(root, 'node_modules/next/dist/bin/next')
const buildStamp = join(exampleDir, '.next', 'bolt-build-inputs.sha256')

/** What the build reads that may change; Next.js's own output (`.next/`, `next-env.d.ts`) and docs aside. */
const INPUT_DIRS = ['examples/nextjs', 'examples/shared', 'src', 'adapters']
const GENERATED = new Set(['.next', 'node_modules', 'next-env.d.ts'])

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (GENERATED.has(entry.name) || /\.(tsbuildinfo|md)$/.test(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else yield path
  }
}

function inputsHash(): string {
  const hash = createHash('sha256')
  // Every dependency's version (Next.js, React, ioredis…).
  hash.update(readFileSync(join(root, 'package-lock.json')))
  for (const dir of INPUT_DIRS) {
    for (const path of files(join(root, dir))) {
      hash.update(`\0${relative(root, path)}\0`)
      hash.update(readFileSync(path))
    }
  }
  return hash.digest('hex')
}

/** The environment of `next`: no NODE_ENV (vitest's `test` is not one Next.js accepts). */
function nextEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra }
  delete env.NODE_ENV
  return env
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextCli, ...args], { cwd: root, env })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`next ${args[0]} failed (${code}):\n${output}`)),
    )
  })
}

/** `next build` of the example, unless the build in `.next/` is of the same inputs. */
export async function buildNextExample(): Promise<{ built: boolean }> {
  const hash = inputsHash()
  if (existsSync(buildStamp) && readFileSync(buildStamp, 'utf8') === hash) return { built: false }
  // A build that fails half-way must not be taken for the build of its inputs later.
  rmSync(buildStamp, { force: true })
  // The build never sees the Bolt settings: they are read at run time, per process.
  await run(['build', exampleDir], nextEnv())
  writeFileSync(buildStamp, hash)
  return { built: true }
}

/** A running `next start`. */
export interface NextServer {
  url: string
  /** Every line it wrote on stdout and stderr so far. */
  output: string[]
  close(): Promise<void>
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: string[]) {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`next start exited (${child.exitCode}):\n${output.join('\n')}`)
    }
    try {
      if ((await fetch(`${url}/login`)).status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`next start did not answer within 30 s:\n${output.join('\n')}`)
}

/** `next start` of the built example on a free loopback port, with `env` (Bolt, Redis). */
export async function startNextExample(env: Record<string, string>): Promise<NextServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(
    process.execPath,
    [nextCli, 'start', exampleDir, '--hostname', '127.0.0.1', '--port', String(port)],
    { cwd: root, env: nextEnv(env) },
  )
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr]) {
    let pending = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n')
      pending = lines.pop() ?? ''
      output.push(...lines)
    })
    stream.on('end', () => pending !== '' && output.push(pending))
  }
  // Should the test process end without afterAll (a crash, Ctrl-C), the server ends with it.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit)
      resolve()
    }),
  )
  async function close() {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitUntilAnswering(url, child, output)
  } catch (error) {
    await close()
    throw error
  }
  return { url, output, close }
}
