/**
 * `durable-object.hit.*` and `durable-object.raw-read.ops`: what a valid-token read costs on the
 * Durable Objects store, in RPCs (counted on a wrapper of the namespace binding) and in
 * throughput at 100 concurrency against a raw RPC `read()` of the same objects.
 *
 * The store runs only in a Worker, so the measurement does too: the section bundles
 * bench/durable-object-worker.ts with esbuild and serves it in workerd (the runtime matrix's
 * binary) with a namespace of `BoltSessionObject` on local disk (SQLite, as on Cloudflare). The
 * Worker logs the sessions in against the emulator on loopback, counts, and runs the shared
 * interleaved rounds; this process prints them with the shared table. Without workerd the
 * section is not run, and says why.
 *
 * @module
 */

import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { BINARIES } from '../runtimes/lib/install.js'
import { WORKER_BUNDLE_OPTIONS } from '../runtimes/lib/package.js'
import { COMPATIBILITY_DATE, startWorkerd } from '../runtimes/lib/workerd.js'
import type { Section } from './context.js'
import type {
  DurableObjectBenchCall,
  DurableObjectBenchLine,
  DurableObjectBenchResult,
} from './durable-object-worker.js'
import type { RemoteEmulator } from './emulator.js'
import { heading } from './format.js'
import { measured, notMeasured } from './metrics.js'
import { describeReads, listRatios, reportReads } from './read-comparison.js'
import { sessionIds } from './sessions.js'

const CONCURRENCY = 100
const READS_COUNTED = 100

const config = (storage: string) => `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "bench", worker = .bench),
    (name = "do-storage", disk = (path = "${storage}", writable = true)),
    # The emulator on loopback ("local", which workerd refuses by default).
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "bench")],
);

const bench :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  durableObjectNamespaces = [
    (className = "BoltSessionObject", uniqueKey = "bolt-token-lifecycle-bench", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-storage"),
  bindings = [(name = "SESSIONS", durableObjectNamespace = "BoltSessionObject")],
  globalOutbound = "loopback",
);
`

/** Measures the valid-token read on the Durable Objects store, inside workerd. */
export const durableObjectHit: Section = async ({ settings, emulator }) => {
  heading(
    `durable-object.hit: valid-token reads on Durable Objects, in workerd, ${CONCURRENCY} concurrent loops`,
  )
  if (!existsSync(BINARIES.workerd)) {
    const why = `no workerd at ${BINARIES.workerd} (install the runtimes: npm run runtimes:install)`
    console.log(`  NOT RUN: ${why}`)
    return {
      'durable-object.hit.rpcs': notMeasured('RPCs/read', why),
      'durable-object.hit.ops': notMeasured('ops/s', why),
      'durable-object.raw-read.ops': notMeasured('ops/s', why),
    }
  }
  const version = (
    await promisify(execFile)(BINARIES.workerd, ['--version'], { timeout: 10_000 })
  ).stdout
    .trim()
    .replace(/^workerd\s+/, '')
  const dir = await mkdtemp(join(tmpdir(), 'bolt-bench-durable-objects-'))
  try {
    await build({
      ...WORKER_BUNDLE_OPTIONS,
      conditions: [...WORKER_BUNDLE_OPTIONS.conditions],
      external: [...WORKER_BUNDLE_OPTIONS.external],
      entryPoints: [fileURLToPath(new URL('./durable-object-worker.ts', import.meta.url))],
      outfile: join(dir, 'worker.js'),
    })
    const storage = join(dir, 'storage')
    await mkdir(storage)
    await writeFile(join(dir, 'config.capnp'), config(storage))
    const workerd = await startWorkerd({
      binary: BINARIES.workerd,
      config: join(dir, 'config.capnp'),
    })
    // Ctrl-C ends the bench with process.exit: stop() sends SIGTERM before its first await.
    const stopOnExit = () => void workerd.stop()
    process.once('exit', stopOnExit)
    try {
      return await measure(settings, emulator, workerd.url, version)
    } catch (error) {
      const output = workerd.output().trim()
      if (output !== '') console.error(`  workerd's output:\n${output}`)
      throw error
    } finally {
      process.off('exit', stopOnExit)
      await workerd.stop()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function measure(
  settings: { rounds: number; scale: number },
  emulator: RemoteEmulator,
  url: string,
  version: string,
) {
  const ids = sessionIds('durable-object', CONCURRENCY)
  const sessions: DurableObjectBenchCall['sessions'] = []
  for (const id of ids) sessions.push({ id, code: await emulator.login() })
  const call: DurableObjectBenchCall = {
    connection: {
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      baseUrl: emulator.url,
    },
    prefix: `bench:${randomBytes(6).toString('hex')}:`,
    sessions,
    readsCounted: READS_COUNTED,
    concurrency: CONCURRENCY,
    settings: { rounds: settings.rounds, scale: settings.scale },
  }
  const result = await runInWorker(url, call, (counted) => {
    logRpcs(counted)
    describeReads(
      settings,
      `workerd ${version}, Worker and objects in one process; record: ${counted.recordBytes} bytes; the Worker's manager against a raw stub read() of the same objects`,
    )
  })
  const { rpcs, stubs, recordBytes } = result
  const compared = reportReads(result.perRound, 'read()')
  const perRead = total(rpcs) / READS_COUNTED
  const shape = `${CONCURRENCY} concurrent loops in one Worker (workerd ${version}), median of ${settings.rounds} interleaved rounds`
  return {
    'durable-object.hit.rpcs': measured(
      perRead,
      'RPCs/read',
      `${READS_COUNTED} sequential valid-token reads in the Worker, RPCs counted on a wrapper of the namespace binding: ${breakdown(rpcs)}; ${stubs} stubs`,
    ),
    'durable-object.hit.ops': measured(
      compared.manager,
      'ops/s',
      `getAccessToken on valid tokens, Durable Objects store (one read() RPC of a ${recordBytes}-byte record); ${shape}`,
    ),
    'durable-object.raw-read.ops': measured(
      compared.raw,
      'ops/s',
      `raw RPC read() of the same objects (idFromName, get, read() per call, as the store does); ${shape}`,
    ),
    'durable-object.hit.vs-raw-read': measured(
      compared.ratio,
      '×',
      `durable-object.hit.ops / durable-object.raw-read.ops, median of per-round ratios (${listRatios(compared.ratios)})`,
    ),
  }
}

const total = (rpcs: DurableObjectBenchResult['rpcs']) =>
  Object.values(rpcs).reduce((sum, count) => sum + count, 0)

const breakdown = (rpcs: DurableObjectBenchResult['rpcs']) =>
  Object.entries(rpcs)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ×${count}`)
    .join(', ') || 'none'

function logRpcs({ rpcs, stubs }: Pick<DurableObjectBenchResult, 'rpcs' | 'stubs'>): void {
  console.log(
    `  RPCs per valid-token read: ${total(rpcs) / READS_COUNTED} (${breakdown(rpcs)}, ${stubs} stubs, for ${READS_COUNTED} sequential reads)`,
  )
}

/**
 * POSTs `call` to the Worker and reads its streamed lines; `onCounted` runs when the timing
 * starts (with the count, which the result repeats).
 */
async function runInWorker(
  url: string,
  call: DurableObjectBenchCall,
  onCounted: (counted: Omit<DurableObjectBenchResult, 'perRound'>) => void,
): Promise<DurableObjectBenchResult> {
  const response = await fetch(`${url}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(call),
  })
  if (!response.ok || response.body === null) {
    throw new Error(`the bench Worker answered ${response.status}: ${await response.text()}`)
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let pending = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    pending += value
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const text of lines) {
      const line = JSON.parse(text) as DurableObjectBenchLine
      if (line.type === 'timing') onCounted(line.counted)
      else if (line.type === 'error') throw new Error(`the bench Worker failed: ${line.error}`)
      else {
        await reader.cancel()
        return line.result
      }
    }
  }
  throw new Error('the bench Worker ended its answer without a result')
}
