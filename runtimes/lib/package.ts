/**
 * The package as users get it: built (`tsc -p tsconfig.build.json`, what `npm run build`
 * runs, into a staging folder so that the repository's own `dist/` is left alone), packed
 * with `npm pack`, and the tarball installed (with ky, ioredis, pg and @upstash/redis) into a scratch folder,
 * next to the smoke test compiled to plain ESM and the workerd worker bundled from it. The
 * runtimes import only from that folder.
 */

import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { commandOutput } from './process.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const SMOKE_SOURCES = [
  'emulator-control',
  'lifecycle',
  'main',
  'deno-kv-store',
  'postgres-store',
  'redis-store',
  'scenario',
  'upstash-store',
  'worker',
]

/** The scratch folder the runtimes run in. */
export interface PackedPackage {
  /** The scratch folder (a fresh temp dir). */
  dir: string
  /** Its `node_modules`, where `bolt-token-lifecycle` is installed from the tarball. */
  nodeModules: string
  /** The tarball's file name, e.g. `bolt-token-lifecycle-0.2.0.tgz`. */
  tarball: string
  /** The smoke test's entry for Node, Bun and Deno. */
  smokeMain: string
  /** The smoke worker, bundled for workerd. */
  workerBundle: string
  /** Removes the scratch folder. */
  remove(): Promise<void>
}

/** The version of a dependency installed in the repository, to install the same one. */
async function repoVersion(name: string): Promise<string> {
  const manifest = JSON.parse(
    await readFile(join(REPO, 'node_modules', name, 'package.json'), 'utf8'),
  ) as { version: string }
  return manifest.version
}

/**
 * The esbuild options for a worker: one ES module, resolved with the `workerd` and `worker`
 * export conditions as wrangler does.
 */
export const WORKER_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  conditions: ['workerd', 'worker'],
  // workerd's built-in modules, as wrangler leaves them (the Durable Objects store imports one).
  external: ['cloudflare:*'],
  target: 'es2022',
  logLevel: 'warning',
} as const

/** Builds, packs and installs the package into a scratch folder; see the module comment. */
export async function preparePackage(log: (line: string) => void): Promise<PackedPackage> {
  const dir = await mkdtemp(join(tmpdir(), 'bolt-runtimes-'))
  const remove = () => rm(dir, { recursive: true, force: true })
  try {
    const staging = join(dir, 'staging')
    await mkdir(staging)
    for (const file of ['package.json', 'README.md', 'LICENSE']) {
      if (existsSync(join(REPO, file))) await cp(join(REPO, file), join(staging, file))
    }
    log('package: tsc -p tsconfig.build.json (npm run build) into a staging folder')
    await commandOutput(
      join(REPO, 'node_modules/.bin/tsc'),
      ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')],
      { cwd: REPO, timeoutMs: 300_000 },
    )
    // Already built: --ignore-scripts skips `prepack`, which would build again.
    const packed = await commandOutput(
      'npm',
      ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'],
      { cwd: staging },
    )
    const [{ filename: tarball }] = JSON.parse(packed) as [{ filename: string }]
    log(`package: npm pack → ${tarball}`)

    await writeFile(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'bolt-runtimes-scratch', private: true, type: 'module' }, null, 2)}\n`,
    )
    const extras = [
      `ky@${await repoVersion('ky')}`,
      `ioredis@${await repoVersion('ioredis')}`,
      `@upstash/redis@${await repoVersion('@upstash/redis')}`,
      `pg@${await repoVersion('pg')}`,
    ]
    log(`package: npm install ./${tarball} ${extras.join(' ')} (in ${dir})`)
    await commandOutput(
      'npm',
      [
        'install',
        '--ignore-scripts',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        `./${tarball}`,
        ...extras,
      ],
      { cwd: dir, timeoutMs: 300_000 },
    )

    const smokeDir = join(dir, 'smoke')
    await build({
      entryPoints: SMOKE_SOURCES.map((name) =>
        fileURLToPath(new URL(`../smoke/${name}.ts`, import.meta.url)),
      ),
      outdir: smokeDir,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      logLevel: 'warning',
    })
    const workerBundle = join(dir, 'workerd', 'worker.js')
    await mkdir(join(dir, 'workerd'))
    await build({
      ...WORKER_BUNDLE_OPTIONS,
      conditions: [...WORKER_BUNDLE_OPTIONS.conditions],
      external: [...WORKER_BUNDLE_OPTIONS.external],
      entryPoints: [join(smokeDir, 'worker.js')],
      outfile: workerBundle,
    })
    log('package: smoke test compiled to ESM; worker bundled for workerd')
    return {
      dir,
      nodeModules: join(dir, 'node_modules'),
      tarball,
      smokeMain: join(smokeDir, 'main.js'),
      workerBundle,
      remove,
    }
  } catch (error) {
    await remove()
    throw error
  }
}
