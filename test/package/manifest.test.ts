/**
 * package.json as npm shows it and as `npm install` reads it: where the project lives, no
 * script that builds on install, and no dependency whose `engines` refuses a Node version the
 * package itself supports (npm prints EBADENGINE for those).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url)
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
  engines: { node: string }
  repository: { type: string; url: string }
  homepage: string
  bugs: { url: string }
  scripts: Record<string, string>
}
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>
}
// semver ships no types of its own; only these two functions are used.
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null
  satisfies(version: string, range: string): boolean
}

describe('package.json', () => {
  it('names its repository, home page and issue tracker, all on the same GitHub repository', () => {
    const repository = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(
      manifest.repository.url,
    )?.[1]
    expect(manifest.repository.type).toBe('git')
    expect(repository).toBeDefined()
    expect(manifest.homepage).toBe(`${repository}#readme`)
    expect(manifest.bugs.url).toBe(`${repository}/issues`)
  })

  it('builds only when packed (prepack), never on install', () => {
    const onInstall = ['preinstall', 'install', 'postinstall', 'prepare'].filter(
      (script) => manifest.scripts[script] !== undefined,
    )
    expect(onInstall).toEqual([])
    expect(manifest.scripts.prepack).toBe('npm run build')
  })

  it('every locked dependency accepts the oldest Node the package supports', () => {
    const oldest = semver.minVersion(manifest.engines.node)?.version ?? ''
    expect(oldest).toBe('20.19.0')
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node
        return range === undefined || semver.satisfies(oldest, range)
          ? []
          : [`${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${range}`]
      })
    expect(refusing).toEqual([])
  })
})
