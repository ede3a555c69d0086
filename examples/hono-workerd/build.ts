/**
 * Bundles the Hono example's worker into `dist/worker.js` (what ./config.capnp embeds) with
 * esbuild, as wrangler would: `npx tsx examples/hono-workerd/build.ts`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'

/** Where the bundle goes: `config.capnp` embeds it. */
export const WORKER_BUNDLE = fileURLToPath(new URL('./dist/worker.js', import.meta.url))

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
 * repository itself (its `dist/`, after `npm run build`).
 */
export async function buildWorker(options: { packageDir?: string } = {}): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    outfile: WORKER_BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker'],
    target: 'es2022',
    logLevel: 'warning',
    plugins: options.packageDir === undefined ? [] : [packageFrom(options.packageDir)],
  })
  return WORKER_BUNDLE
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`bundled ${await buildWorker()}`)
}
