/**
 * Every export of a public entry point carries a TypeDoc `@group` (as oauth4webapi's do), so
 * the API reference lists the exports by what they are for rather than by TypeScript kind.
 * Read with the TypeScript compiler from the declarations the entry points re-export.
 */
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = new URL('../../', import.meta.url).pathname
const typedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as {
  entryPoints: string[]
}

/**
 * Files being rewritten for issue 13 (the manager split, the one-read store contract): their
 * exports get their tags with that rewrite. Empty this list once it has landed.
 */
const PENDING_REWRITE: string[] = []

interface ExportInfo {
  entry: string
  name: string
  file: string
  groups: string[]
}

function publicExports(): ExportInfo[] {
  const program = ts.createProgram(
    typedoc.entryPoints.map((entry) => join(root, entry)),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      noEmit: true,
      skipLibCheck: true,
    },
  )
  const checker = program.getTypeChecker()
  return typedoc.entryPoints.flatMap((entry) => {
    const source = program.getSourceFile(join(root, entry))
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (module === undefined) throw new Error(`${entry} is not a module`)
    return checker.getExportsOfModule(module).map((exported) => {
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const declaration = symbol.declarations?.[0]
      const groups = (symbol.declarations ?? []).flatMap((node) =>
        ts
          .getJSDocTags(node)
          .filter((tag) => tag.tagName.text === 'group')
          .map((tag) => ts.getTextOfJSDocComment(tag.comment) ?? ''),
      )
      return {
        entry,
        name: exported.name,
        file:
          declaration === undefined ? '?' : relative(root, declaration.getSourceFile().fileName),
        groups,
      }
    })
  })
}

const exports = publicExports()
const pending = (info: ExportInfo) => PENDING_REWRITE.some((path) => info.file.startsWith(path))

describe('TypeDoc groups', () => {
  it('finds the exports of every entry point', () => {
    const entries = new Set(exports.map((info) => info.entry))
    expect([...entries].sort()).toEqual([...typedoc.entryPoints].sort())
    expect(exports.find((info) => info.name === 'createTokenManager')?.file).toBe(
      'src/manager/token-manager.ts',
    )
  })

  it('every export has a @group', () => {
    const untagged = exports
      .filter((info) => info.groups.length === 0 && !pending(info))
      .map((info) => `${info.entry}: ${info.name} (${info.file})`)
    expect(untagged).toEqual([])
  })

  it('the groups are few and named for what a merchant looks for', () => {
    const groups = new Set(exports.flatMap((info) => info.groups))
    expect([...groups].sort()).toEqual(
      [
        'Account API',
        'Emulator',
        'Errors',
        'Frameworks',
        'Identity',
        'Machine',
        'Observability',
        'Stores',
        'Testing',
        'Token manager',
        'Transports',
      ].filter((group) => groups.has(group)),
    )
  })
})
