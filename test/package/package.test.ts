/**
 * The package as users receive it: built into a staging folder (the repository's own `dist/`
 * is left alone), packed with `npm pack`, installed from the tarball into a scratch project,
 * and then imported subpath by subpath (ESM), required (CommonJS, Node ≥ 20.19), run through
 * one login against its own emulator (and once more in a NestJS application), and checked by
 * publint --strict and attw.
 */
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'node_modules/.bin')
const SUBPATHS = [
  '',
  '/memory',
  '/redis',
  '/upstash',
  '/deno-kv',
  '/postgres',
  '/fetch',
  '/ky',
  '/undici',
  '/emulator',
  '/testing',
  '/machine',
  '/nestjs',
] as const

/** The root entry's runtime names: what a merchant's backend calls (types aside). */
const ROOT_EXPORTS = [
  'BOLT_ACCESS_TOKEN_LIFETIME_MS',
  'BOLT_PRODUCTION_URL',
  'BOLT_SANDBOX_URL',
  'BoltAccountError',
  'BoltTokenError',
  'DEFAULT_RETRY',
  'DEFAULT_RETRY_AFTER_SECONDS',
  'ErrorCode',
  'SCOPE_MANAGE',
  'SCOPE_OPENID',
  'SCOPE_VIEW',
  'accountExists',
  'createAccountApi',
  'createAccountFetch',
  'createTokenManager',
  'httpAnswerFor',
  'isBoltAccountError',
  'isBoltTokenError',
  'sessionTag',
]
/** `bolt-token-lifecycle/machine`'s runtime names. */
const MACHINE_EXPORTS = [
  'DEFAULT_EXCHANGE_SCOPE',
  'REFRESH_SCOPE',
  'SESSION_RECORD_SCHEMA',
  'Secret',
  'canManage',
  'decodeSessionRecord',
  'encodeSessionRecord',
  'isAccessTokenFresh',
  'isSingleCallerTransition',
  'listTransitions',
  'parseScopes',
  'toMermaid',
  'tokenMachine',
]

let work: string
let tarball: string
let scratch: string

async function sh(command: string, args: string[], cwd: string) {
  const { stdout } = await run(command, args, {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' },
  })
  return stdout
}

/** Every .ts under `dir`, relative to the repository root. */
async function sourcesIn(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true })
  return entries
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'),
    )
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'btl-package-'))
  const staging = join(work, 'staging')
  await mkdir(staging)
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    await cp(join(ROOT, file), join(staging, file))
  }
  await sh(
    join(BIN, 'tsc'),
    ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')],
    ROOT,
  )
  const packed = JSON.parse(
    await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], staging),
  ) as { filename: string }[]
  tarball = join(work, packed[0]?.filename ?? '')
  scratch = join(work, 'app')
  await mkdir(scratch)
  await writeFile(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'merchant-app', private: true, type: 'module' }),
  )
  // The optional peers, for their subpaths: ky, ioredis, undici, and NestJS (on Express) with its own peers.
  const nest = ['@nestjs/common@11', '@nestjs/core@11', '@nestjs/platform-express@11']
  await sh(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-save',
      tarball,
      'ky@1.9',
      'ioredis@5',
      'undici@7',
      ...nest,
      'reflect-metadata@0.2',
      'rxjs@7',
    ],
    scratch,
  )
}, 240_000)

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('the packed tarball', () => {
  it('holds exactly the compiled sources, their types, package.json, README and LICENSE: no tests, no source maps', async () => {
    const listing = await sh('tar', ['-tzf', tarball], work)
    const files = listing
      .split('\n')
      .filter((line) => line !== '' && !line.endsWith('/'))
      .map((line) => line.replace(/^package\//, ''))
      .sort()
    const compiled = [...(await sourcesIn('src')), ...(await sourcesIn('adapters'))].flatMap(
      (source) => [
        `dist/${source.replace(/\.ts$/, '.js')}`,
        `dist/${source.replace(/\.ts$/, '.d.ts')}`,
      ],
    )
    expect(files).toEqual([...compiled, 'LICENSE', 'README.md', 'package.json'].sort())
  })

  it('publint --strict finds nothing', async () => {
    const output = await sh(
      join(BIN, 'publint'),
      ['--strict', '--pack', 'false'],
      join(scratch, 'node_modules/bolt-token-lifecycle'),
    )
    expect(output).toContain('All good!')
  })

  it('attw (ESM-only profile: Node 16+ ESM and bundlers) resolves every subpath to its types', async () => {
    const output = await sh(
      join(BIN, 'attw'),
      [tarball, '--profile', 'esm-only', '--format', 'json'],
      work,
    )
    const report = JSON.parse(output) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, unknown> }
    }
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([
      '.',
      './cloudflare',
      './deno-kv',
      './emulator',
      './fetch',
      './ky',
      './machine',
      './memory',
      './nestjs',
      './package.json',
      './postgres',
      './redis',
      './testing',
      './undici',
      './upstash',
    ])
    const relevant = report.analysis.problems.filter(
      (problem) =>
        !['node10', 'node16-cjs'].includes(
          (problem as { resolutionKind?: string }).resolutionKind ?? '',
        ),
    )
    expect(relevant).toEqual([])
  })
})

describe('installed from the tarball', () => {
  it('every subpath imports (ESM) with its main exports', async () => {
    const script = `
      const names = {
        '': ['createTokenManager', 'BoltTokenError', 'createAccountFetch', 'createAccountApi'],
        '/memory': ['createMemoryStore'],
        '/redis': ['createRedisStore'],
        '/upstash': ['createUpstashStore'],
        '/deno-kv': ['createDenoKvStore'],
        '/postgres': ['createPostgresStore', 'postgresStoreSchema'],
        '/fetch': ['createFetchTransport'],
        '/ky': ['createKyTransport', 'createAccountClient'],
        '/undici': ['createUndiciTransport'],
        '/emulator': ['startBoltEmulator', 'faults', 'emulatorManagerOptions'],
        '/testing': ['createLifecycleTestModel', 'createManagerDriver', 'testTokenStore', 'emulatorManagerOptions'],
        '/machine': ['tokenMachine', 'toMermaid', 'listTransitions', 'encodeSessionRecord', 'decodeSessionRecord'],
        '/nestjs': ['BoltTokensModule', 'BoltTokenErrorFilter', 'RequiresBoltScope', 'BoltScopeGuard', 'InjectBoltTokens'],
      }
      const out = {}
      for (const [sub, expected] of Object.entries(names)) {
        const module = await import('bolt-token-lifecycle' + sub)
        out[sub] = expected.filter((name) => typeof module[name] !== 'function' && typeof module[name] !== 'object')
      }
      console.log(JSON.stringify(out))`
    const missing = JSON.parse(
      await sh(process.execPath, ['--input-type=module', '-e', script], scratch),
    )
    expect(Object.keys(missing).sort()).toEqual([...SUBPATHS].sort())
    for (const sub of SUBPATHS) expect(missing[sub], `bolt-token-lifecycle${sub}`).toEqual([])
  })

  // The Durable Objects store extends workerd's built-in DurableObject class; the runtime
  // matrix imports it in workerd (npx tsx runtimes/run.ts --only workerd).
  it('/cloudflare is for workerd: Node refuses only its import of cloudflare:workers', async () => {
    const script = `
      try { await import('bolt-token-lifecycle/cloudflare'); console.log('imported') }
      catch (error) { console.log(error.code, error.message.includes("protocol 'cloudflare:'")) }`
    const output = await sh(process.execPath, ['--input-type=module', '-e', script], scratch)
    expect(output.trim()).toBe('ERR_UNSUPPORTED_ESM_URL_SCHEME true')
  })

  it('the root exports what a merchant calls; the machine, its diagram and the record codec are in /machine', async () => {
    const script = `
      const root = await import('bolt-token-lifecycle')
      const machine = await import('bolt-token-lifecycle/machine')
      console.log(JSON.stringify({ root: Object.keys(root).sort(), machine: Object.keys(machine).sort() }))`
    const exported = JSON.parse(
      await sh(process.execPath, ['--input-type=module', '-e', script], scratch),
    )
    expect(exported).toEqual({ root: ROOT_EXPORTS, machine: MACHINE_EXPORTS })
  })

  it('require() from CommonJS works on Node ≥ 20.19', async () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
    expect(major > 20 || (major === 20 && minor >= 19), `Node ${process.versions.node}`).toBe(true)
    const script = `
      const lib = require('bolt-token-lifecycle')
      const { createMemoryStore } = require('bolt-token-lifecycle/memory')
      const { tokenMachine } = require('bolt-token-lifecycle/machine')
      console.log(JSON.stringify([typeof lib.createTokenManager, typeof createMemoryStore, tokenMachine.id]))`
    const output = await sh(process.execPath, ['-e', script], scratch)
    expect(JSON.parse(output.trim().split('\n').at(-1) ?? '[]')).toEqual([
      'function',
      'function',
      'boltTokens',
    ])
  })

  // The emulator runs in the scratch install's own process, started from the tarball: not the harness.
  it('runs a login, a refresh and a logout against its own emulator', async () => {
    const script = `
      import { createTokenManager } from 'bolt-token-lifecycle'
      import { emulatorManagerOptions, startBoltEmulator } from 'bolt-token-lifecycle/emulator'
      import { createKyTransport } from 'bolt-token-lifecycle/ky'
      const bolt = await startBoltEmulator()
      try {
        const tokens = createTokenManager({ ...emulatorManagerOptions(bolt), http: createKyTransport() })
        const states = [(await tokens.exchangeCode('s', { code: bolt.login().code })).state]
        bolt.advanceClock(61 * 60_000)
        await tokens.getAccessToken('s')
        states.push((await tokens.getStatus('s')).state)
        await tokens.logout('s')
        states.push((await tokens.getStatus('s')).state)
        console.log(JSON.stringify({ states, refreshes: bolt.stats.refreshes, reuse: bolt.stats.reuseDetected }))
      } finally { await bolt.close() }`
    const output = await sh(process.execPath, ['--input-type=module', '-e', script], scratch)
    expect(JSON.parse(output)).toEqual({
      states: ['fullyScoped', 'viewOnly', 'unauthenticated'],
      refreshes: 1,
      reuse: 0,
    })
  })

  // The decorators as tsc compiled them (the tests run them through Vite's transform instead):
  // the module, the guard and the filter in an application on Express, over HTTP.
  it('/nestjs: a NestJS application gets the manager, guards a route and answers SCOPE_REQUIRED', async () => {
    const script = `
      import { Controller, HttpCode, Post } from '@nestjs/common'
      import { APP_FILTER, NestFactory } from '@nestjs/core'
      import { emulatorManagerOptions, startBoltEmulator } from 'bolt-token-lifecycle/emulator'
      import { BOLT_TOKENS, BoltTokenErrorFilter, BoltTokensModule, RequiresBoltScope } from 'bolt-token-lifecycle/nestjs'
      // A controller, decorated without decorator syntax (this script is plain JavaScript).
      class Addresses { add() { return { added: true } } }
      const add = Object.getOwnPropertyDescriptor(Addresses.prototype, 'add')
      for (const decorate of [Post('addresses'), HttpCode(200), RequiresBoltScope()]) decorate(Addresses.prototype, 'add', add)
      Controller()(Addresses)
      const bolt = await startBoltEmulator()
      const app = await NestFactory.create({
        module: class App {},
        imports: [BoltTokensModule.forRoot({ tokens: emulatorManagerOptions(bolt), getSessionId: (request) => request.headers['x-session'] })],
        controllers: [Addresses],
        providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
      }, { logger: false })
      try {
        await app.listen(0, '127.0.0.1')
        const url = await app.getUrl()
        const tokens = app.get(BOLT_TOKENS)
        await tokens.exchangeCode('s', { code: bolt.login().code })
        const write = async () => {
          const answer = await fetch(url + '/addresses', { method: 'POST', headers: { 'x-session': 's' } })
          return [answer.status, (await answer.json()).error ?? 'ok']
        }
        const answers = [await write()]
        bolt.advanceClock(61 * 60_000)
        await tokens.getAccessToken('s')
        answers.push(await write())
        console.log(JSON.stringify({ answers, state: (await tokens.getStatus('s')).state }))
      } finally { await app.close(); await bolt.close() }`
    const output = await sh(process.execPath, ['--input-type=module', '-e', script], scratch)
    expect(JSON.parse(output)).toEqual({
      answers: [
        [200, 'ok'],
        [403, 'SCOPE_REQUIRED'],
      ],
      state: 'viewOnly',
    })
  })

  it('the bin answers --help', async () => {
    const output = await sh(
      join(scratch, 'node_modules/.bin/bolt-token-lifecycle'),
      ['--help'],
      scratch,
    )
    expect(output).toContain('Usage:')
  })
})
