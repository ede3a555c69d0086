/**
 * README.md is what npm shows, away from the repository: every link in it is absolute (into
 * the repository on GitHub, or elsewhere) or an anchor of the README itself. The links into
 * the repository must still name files, folders and headings that exist here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GITHUB_REPOSITORY, rawFileLink, repositoryLink } from '../../scripts/repository.js'

const root = new URL('../../', import.meta.url).pathname
const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** Markdown without its fenced code blocks, where `[a](b)` is code, not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '')
}

/** Every link target: inline links and images, reference definitions, HTML `href` and `src`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown)
  return [
    ...[...text.matchAll(/!?\[(?:[^\][]|\n)*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
      (match) => match[1] ?? '',
    ),
    ...[...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((match) => match[1] ?? ''),
    ...[...text.matchAll(/\b(?:href|src)="([^"]+)"/g)].map((match) => match[1] ?? ''),
  ]
}

/** The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped). */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const [, heading = ''] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

const targets = linkTargets(readme)
const ours = new RegExp(
  `^https://(?:github\\.com/${GITHUB_REPOSITORY}/(blob|tree)|raw\\.githubusercontent\\.com/${GITHUB_REPOSITORY})/main/([^#]*)(?:#(.*))?$`,
)

describe("README.md's links", () => {
  it('are found (the README has links to check)', () => {
    expect(targets.length).toBeGreaterThan(20)
  })

  it('are all absolute or in-page anchors, so that they work on npm', () => {
    const relative = targets.filter((target) => !/^(?:https:\/\/|mailto:|#)/.test(target))
    expect(relative).toEqual([])
  })

  it('in-page anchors name a heading of the README', () => {
    const anchors = headingAnchors(readme)
    const broken = targets
      .filter((target) => target.startsWith('#'))
      .filter((target) => !anchors.has(target.slice(1)))
    expect(broken).toEqual([])
  })

  it('into the repository name files and folders that exist, and headings their files have', () => {
    const broken = targets.flatMap((target) => {
      const match = ours.exec(target)
      if (match === null) return []
      const [, kind, path = '', fragment] = match
      const file = join(root, path)
      if (!existsSync(file)) return [`${target}: no ${path}`]
      const isFolder = statSync(file).isDirectory()
      if ((kind === 'tree') !== isFolder)
        return [`${target}: ${path} is a ${isFolder ? 'folder' : 'file'}`]
      if (fragment !== undefined && !headingAnchors(readFileSync(file, 'utf8')).has(fragment)) {
        return [`${target}: ${path} has no heading #${fragment}`]
      }
      return []
    })
    expect(broken).toEqual([])
  })

  it('show images from raw.githubusercontent.com (a blob link is a page, not an image)', () => {
    const images = [...prose(readme).matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1] ?? '')
    expect(images.length).toBeGreaterThan(0)
    expect(images.filter((image) => !image.startsWith(rawFileLink('')))).toEqual([])
  })

  it('into the repository are built the way scripts/repository.ts builds them', () => {
    expect(repositoryLink('docs/redis.md#x')).toBe(
      `https://github.com/${GITHUB_REPOSITORY}/blob/main/docs/redis.md#x`,
    )
    expect(repositoryLink('examples/')).toBe(
      `https://github.com/${GITHUB_REPOSITORY}/tree/main/examples`,
    )
    expect(targets.filter((target) => ours.test(target)).length).toBe(
      targets.filter((target) => target.includes(GITHUB_REPOSITORY)).length,
    )
  })
})
