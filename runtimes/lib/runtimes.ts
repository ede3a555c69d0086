/** The runtimes of the matrix: how to find each, ask its version and run the smoke test. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Scenario } from '../smoke/scenario.js'
import { BINARIES, RUNTIMES_DIR } from './install.js'
import { commandOutput } from './process.js'

/** A runtime that runs the smoke test as a process: `binary ...args(script, request)`. */
export interface ProcessRuntime {
  kind: 'process'
  /** For `--only`: `node20`, `node24`, `bun`, `deno`. */
  id: string
  /** For output: `Node 20`, `Bun`, … */
  name: string
  binary: string
  version(): Promise<string>
  args(script: string, request: string): string[]
  scenarios: Scenario[]
}

/** workerd: the smoke test runs inside a worker, driven over HTTP. */
export interface WorkerdRuntime {
  kind: 'workerd'
  id: 'workerd'
  name: 'workerd'
  binary: string
  version(): Promise<string>
  scenarios: Scenario[]
}

/** Either kind. */
export type Runtime = ProcessRuntime | WorkerdRuntime

const MEMORY: Scenario[] = [
  { store: 'memory', transport: 'fetch' },
  { store: 'memory', transport: 'ky' },
]
const MEMORY_AND_REDIS: Scenario[] = [
  ...MEMORY,
  { store: 'redis', transport: 'fetch' },
  { store: 'redis', transport: 'ky' },
]
const NODE: Scenario[] = [...MEMORY_AND_REDIS, { store: 'postgres', transport: 'fetch' }]

/** The first `x.y.z` in `text`. */
function semver(text: string): string {
  return /\d+\.\d+\.\d+/.exec(text)?.[0] ?? text.trim()
}

async function packageVersion(name: string): Promise<string> {
  const path = join(RUNTIMES_DIR, 'node_modules', name, 'package.json')
  return (JSON.parse(await readFile(path, 'utf8')) as { version: string }).version
}

const runScript = (script: string, request: string) => [script, request]

/** The matrix, in the order it runs. */
export function matrixRuntimes(): Runtime[] {
  return [
    {
      kind: 'process',
      id: `node${process.versions.node.split('.')[0]}`,
      name: `Node ${process.versions.node.split('.')[0]}`,
      binary: process.execPath,
      version: async () => process.versions.node,
      args: runScript,
      scenarios: NODE,
    },
    {
      kind: 'process',
      id: 'node24',
      name: 'Node 24',
      binary: BINARIES.node24,
      version: async () => semver(await commandOutput(BINARIES.node24, ['--version'])),
      args: runScript,
      scenarios: NODE,
    },
    {
      kind: 'process',
      id: 'bun',
      name: 'Bun',
      binary: BINARIES.bun,
      version: async () => semver(await commandOutput(BINARIES.bun, ['--version'])),
      args: runScript,
      scenarios: MEMORY_AND_REDIS,
    },
    {
      kind: 'process',
      id: 'deno',
      name: 'Deno',
      binary: BINARIES.deno,
      version: async () => semver(await commandOutput(BINARIES.deno, ['--version'])),
      // Loopback only: the emulator. No other permission is needed.
      args: (script, request) => ['run', '--allow-net=127.0.0.1', '--no-prompt', script, request],
      scenarios: MEMORY,
    },
    {
      kind: 'workerd',
      id: 'workerd',
      name: 'workerd',
      binary: BINARIES.workerd,
      version: async () => {
        const built = (await commandOutput(BINARIES.workerd, ['--version'])).trim()
        return `${await packageVersion('@cloudflare/workerd-linux-64')} (${built})`
      },
      scenarios: MEMORY,
    },
  ]
}
