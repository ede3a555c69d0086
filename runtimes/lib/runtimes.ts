/** The runtimes of the matrix: how to find each, ask its version and run the smoke test. */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Scenario, SmokeRequest } from '../smoke/scenario.js'
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
/** workerd: the memory store, and Durable Objects (the store that shares across isolates). */
const MEMORY_AND_DURABLE_OBJECTS: Scenario[] = [
  ...MEMORY,
  { store: 'durable-object', transport: 'fetch' },
]
const UPSTASH: Scenario = { store: 'upstash', transport: 'fetch' }
const MEMORY_AND_REDIS: Scenario[] = [
  ...MEMORY,
  { store: 'redis', transport: 'fetch' },
  { store: 'redis', transport: 'ky' },
  UPSTASH,
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

/** Deno KV (unstable in Deno 2) and its file only, for the `deno-kv` scenario. */
function denoKvFlags(request: string): string[] {
  const { kvPath } = JSON.parse(request) as SmokeRequest
  if (kvPath === undefined) return []
  return ['--unstable-kv', `--allow-read=${dirname(kvPath)}`, `--allow-write=${dirname(kvPath)}`]
}

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
      // Loopback only: the emulator; and for Deno KV, its file in the scratch folder.
      args: (script, request) => [
        'run',
        '--allow-net=127.0.0.1',
        ...denoKvFlags(request),
        '--no-prompt',
        script,
        request,
      ],
      scenarios: [...MEMORY, { store: 'deno-kv', transport: 'fetch' }],
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
      scenarios: [...MEMORY_AND_DURABLE_OBJECTS, UPSTASH],
    },
  ]
}
