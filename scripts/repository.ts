/**
 * Where the repository lives on GitHub, read from package.json's `repository`, and the
 * absolute links into it that README.md uses: npm shows the README away from the repository,
 * where a relative link leads nowhere.
 *
 * @module
 */
import { readFileSync } from 'node:fs'

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  repository: { url: string }
}

const match = /^git\+https:\/\/github\.com\/([\w.-]+\/[\w.-]+)\.git$/.exec(manifest.repository.url)
if (match?.[1] === undefined) {
  throw new Error(
    `package.json's repository.url is not a GitHub git+https URL: ${manifest.repository.url}`,
  )
}

/** `owner/name` on GitHub. */
export const GITHUB_REPOSITORY = match[1]
/** The branch the README's links point into. */
export const DEFAULT_BRANCH = 'main'

/**
 * The page GitHub shows for a file or folder of the repository (`docs/redis.md`,
 * `examples/hono-workerd/`), with its `#fragment` kept.
 */
export function repositoryLink(path: string): string {
  const [file = '', fragment] = path.split('#', 2)
  const kind = file.endsWith('/') ? 'tree' : 'blob'
  const target = `https://github.com/${GITHUB_REPOSITORY}/${kind}/${DEFAULT_BRANCH}/${file.replace(/\/$/, '')}`
  return fragment === undefined ? target : `${target}#${fragment}`
}

/** The raw file, for images: `raw.githubusercontent.com` serves the bytes, not a page. */
export function rawFileLink(path: string): string {
  return `https://raw.githubusercontent.com/${GITHUB_REPOSITORY}/${DEFAULT_BRANCH}/${path}`
}
