// Serves the Durable Objects test Worker (./worker.ts, bundled with esbuild) in workerd: two
// Worker services, `first` and `second`, both bound to the one namespace of `BoltSessionObject`
// that `first` defines, stored on local disk (SQLite, as on Cloudflare) in a fresh temporary
// folder. workerd comes from runtimes/node_modules (the runtime matrix installs it); without
// it the suites skip loudly, and under CI they fail.

import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe } from 'vitest'
import { BINARIES } from '../../../runtimes/lib/install.js'
import { WORKER_BUNDLE_OPTIONS } from '../../../runtimes/lib/package.js'
import { COMPATIBILITY_DATE } from '../../../runtimes/lib/run-runtime.js'
import { type RunningWorkerd, startWorkerd } from '../../../runtimes/lib/workerd.js'
import { isCI } from '../redis-server.js'

/** The workerd binary, or null when the runtimes are not installed. */
export const workerdBinary: string | null = existsSync(BINARIES.workerd) ? BINARIES.workerd : null

/** `describe(name, body)` when workerd is installed; otherwise a loud skip (a failure under CI). */
export function describeWorkerd(name: string, body: () => void): void {
  if (workerdBinary !== null) {
    describe(name, body)
    return
  }
  const missing = `no workerd at ${BINARIES.workerd} (install the runtimes from the npm registry: npm run runtimes:install)`
  if (isCI())
    throw new Error(`Durable Objects suite "${name}" cannot run: ${missing}, and CI is set`)
  console.warn(`!!! DURABLE OBJECTS SUITE SKIPPED: "${name}": ${missing}`)
  describe.skip(`${name} (skipped: ${missing})`, body)
}

const config = (storage: string) => `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "first", worker = .first),
    (name = "second", worker = .second),
    (name = "do-storage", disk = (path = "${storage}", writable = true)),
    # The emulator on loopback ("local", which workerd refuses by default), for the stampede.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "first")],
);

const first :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  durableObjectNamespaces = [
    (className = "BoltSessionObject", uniqueKey = "bolt-token-lifecycle-tests", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-storage"),
  bindings = [
    (name = "SESSIONS", durableObjectNamespace = "BoltSessionObject"),
    (name = "SECOND", service = "second"),
  ],
  globalOutbound = "loopback",
);

const second :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  bindings = [
    (name = "SESSIONS", durableObjectNamespace = (className = "BoltSessionObject", serviceName = "first")),
  ],
  globalOutbound = "loopback",
);
`

/** A running workerd with the test Worker, and the folder it was built in. */
export interface DurableObjectsWorkerd extends RunningWorkerd {
  /** `url` reaches service `first`; `${url}/second` reaches service `second`. */
  secondUrl: string
}

/** Bundles the test Worker and serves it; `stop()` also removes the temporary folder. */
export async function startDurableObjectsWorkerd(): Promise<DurableObjectsWorkerd> {
  if (workerdBinary === null) throw new Error('workerd is not installed')
  const dir = await mkdtemp(join(tmpdir(), 'bolt-durable-objects-'))
  try {
    await build({
      ...WORKER_BUNDLE_OPTIONS,
      conditions: [...WORKER_BUNDLE_OPTIONS.conditions],
      external: [...WORKER_BUNDLE_OPTIONS.external],
      entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
      outfile: join(dir, 'worker.js'),
    })
    const storage = join(dir, 'storage')
    await mkdir(storage)
    await writeFile(join(dir, 'config.capnp'), config(storage))
    const running = await startWorkerd({ binary: workerdBinary, config: join(dir, 'config.capnp') })
    return {
      ...running,
      secondUrl: `${running.url}/second`,
      async stop() {
        await running.stop()
        await rm(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}
