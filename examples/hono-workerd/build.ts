/**
 * Bundles the Hono example's worker into `dist/worker.js` (what ./config.capnp embeds) with
 * esbuild, as wrangler would: `npx tsx examples/hono-workerd/build.ts`; with
 * `durable-objects`, its Durable Objects variant into `dist/worker-durable-objects.js`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'

/** Where the bundle goes: `config.capnp` embeds it. */
export const WORKER_BUNDLE = fileURLToPath(new URL('./dist/worker.js', import.meta.url))

/** The example's variants: tokens in memory (./worker.ts) or in Durable Objects. */
export type WorkerVariant = 'memory' | 'durable-objects'

const ENTRIES: Record<WorkerVariant, string> = {
  memory: 'worker',
  'durable-objects': 'worker-durable-objects',
}

/** Resolves `bolt-token-lifecycle` (and its subpaths) from `dir`, e.g. a packed install. */
function packageFrom(dir: string): Plugin {
  return {
    name: 'bolt-token-lifecycle-from',
    setup(builder) {
      builder.onResolve({ filter: /^bolt-token-lifecycle(\/.*)?$/ }, async (args) => {
        if (args.pluginData === 'from-dir') return undefined
        const resolved = await builder.resolve(args.path, {
          kind: args.kind,
          resolveDir: dir,
          pluginData: 'from-dir',
        })
        return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path }
      })
    },
  }
}

/**
 * Bundles the worker. `packageDir`: a folder whose `node_modules` holds the installed
 * package (the runtime matrix's packed install); by default the package resolves to this
 * repository itself (its `dist/`, after `npm run build`). `plugins` resolve it otherwise
 * (the tests map it to the sources).
 */
export async function buildWorker(
  options: { packageDir?: string; variant?: WorkerVariant; plugins?: Plugin[] } = {},
): Promise<string> {
  const entry = ENTRIES[options.variant ?? 'memory']
  const outfile = fileURLToPath(new URL(`./dist/${entry}.js`, import.meta.url))
  await build({
    entryPoints: [fileURLToPath(new URL(`./${entry}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker'],
    // workerd's built-in modules (the Durable Objects store imports cloudflare:workers).
    external: ['cloudflare:*'],
    target: 'es2022',
    logLevel: 'warning',
    plugins: [
      ...(options.packageDir === undefined ? [] : [packageFrom(options.packageDir)]),
      ...(options.plugins ?? []),
    ],
  })
  return outfile
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const variant = process.argv[2] === 'durable-objects' ? 'durable-objects' : 'memory'
  console.log(`bundled ${await buildWorker({ variant })}`)
}
