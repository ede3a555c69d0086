/**
 * What each entry point loads at run time: the modules reached from it through the imports
 * TypeScript keeps (type-only imports are erased; under `verbatimModuleSyntax`, the others
 * stay). The root entry loads only the package's dependencies, and NestJS, an optional peer
 * dependency, is loaded by `bolt-token-lifecycle/nestjs` alone.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  exports: Record<string, string | { default: string }>
}
const compilerOptions = (
  ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile).config as {
    compilerOptions: unknown
  }
).compilerOptions
const { options } = ts.convertCompilerOptionsFromJson(compilerOptions, ROOT)

/** The package a bare specifier names: `@noble/hashes/sha2.js` → `@noble/hashes`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '')
}

const importsOf = new Map<string, string[]>()

/** What `file` imports once compiled: type-only imports are gone. */
function runtimeImports(file: string): string[] {
  let imports = importsOf.get(file)
  if (imports === undefined) {
    const emitted = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: options,
      fileName: file,
    }).outputText
    imports = ts.preProcessFile(emitted, true, true).importedFiles.map(({ fileName }) => fileName)
    importsOf.set(file, imports)
  }
  return imports
}

/** Every source file reached from `entry` (relative to the root), and the packages they load. */
function runtimeGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [join(ROOT, entry)]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue
    files.add(file)
    for (const fileName of runtimeImports(file)) {
      if (fileName.startsWith('.'))
        pending.push(join(dirname(file), fileName.replace(/\.js$/, '.ts')))
      else packages.add(packageOf(fileName))
    }
  }
  return {
    files: [...files].map((file) => relative(ROOT, file)).sort(),
    packages: [...packages].sort(),
  }
}

/** Each subpath of package.json's exports, with the source file its build comes from. */
const entries = Object.entries(manifest.exports)
  .filter(([subpath]) => subpath !== './package.json')
  .map(([subpath, target]) => {
    const built = typeof target === 'string' ? target : target.default
    return { subpath, source: built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts') }
  })

describe('what each entry point loads', () => {
  it('the root entry loads only the package’s dependencies: no optional peer', () => {
    const { files, packages } = runtimeGraph('src/index.ts')
    expect(files).toContain('src/http-answers.ts')
    expect(packages).toEqual(Object.keys(manifest.dependencies).sort())
  })

  it('/nestjs loads @nestjs/common and @nestjs/core', () => {
    expect(entries.map((entry) => entry.subpath)).toContain('./nestjs')
    expect(runtimeGraph('adapters/nestjs/index.ts').packages).toEqual(
      expect.arrayContaining(['@nestjs/common', '@nestjs/core']),
    )
  })

  it.each(entries.filter((entry) => entry.subpath !== './nestjs'))(
    '$subpath never loads NestJS',
    ({ source }) => {
      const { packages } = runtimeGraph(source)
      expect(packages.filter((name) => name.startsWith('@nestjs/'))).toEqual([])
    },
  )
})
