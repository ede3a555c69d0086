// docs/operations.md shows the admin command's real output: every block marked
// `<!-- sessions-output: <name> -->` is what this test gets from running the command (on a
// redis-server of its own, so that counts and estimates are this test's alone, and on a
// PostgreSQL table of its own, with the emulator's and the managers' clocks held still), with
// the addresses, the table and the scratch paths written as the docs name them.
// BOLT_WRITE_DOCS=1 rewrites the blocks.
// The exit-code table is checked against EXIT.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createPostgresStore, type PostgresStore } from '../../adapters/storage/postgres.js'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_PROGRESS_INTERVAL_MS,
} from '../../src/cli/sessions/arguments.js'
import { EXIT, SESSIONS_USAGE } from '../../src/cli/sessions/command.js'
import type { TokenStore } from '../../src/contracts.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { PAST_EXPIRY_MS, startEmulatorForFile } from '../support/harness.js'
import {
  createTestPool,
  postgresMissing,
  postgresUrl,
  randomTable,
  redactedUrl,
} from '../support/postgres.js'
import { isCI, type RedisServerProcess, startRedisServer } from '../support/redis-global-setup.js'
import { rejection } from '../support/rejection.js'
import { envFor, KEYS, managerOn, runInProcess, scratchDir } from './sessions-helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const docPath = join(root, 'docs/operations.md')
const redisServerPath: string | null = inject('redisServerPath')

/** 09:00 UTC on a Tuesday: the docs' "now". */
const START = Date.UTC(2026, 10, 24, 9, 0, 0)
const OLD = { '2026-05': KEYS.k1 }
const NEW = { '2026-11': KEYS.k2, '2026-05': KEYS.k1 }

/** The blocks of the docs, by name. */
function docBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>()
  for (const [, name, body] of text.matchAll(
    /<!-- sessions-output: (\S+) -->\n```text\n([\s\S]*?)```/g,
  )) {
    blocks.set(name as string, body as string)
  }
  return blocks
}

/** `describe` when redis-server is on PATH and PostgreSQL answers; else skipped loudly (or, under CI, failed). */
function describeWithStores(name: string, body: () => void): void {
  const missing = [
    redisServerPath === null ? "no redis-server on PATH (install Debian's redis-server)" : '',
    postgresMissing === null
      ? ''
      : `PostgreSQL at ${redactedUrl} does not answer (${postgresMissing}; start it, or set PG_URL; .ci/postgres sets one up)`,
  ].filter((why) => why !== '')
  if (missing.length === 0) {
    describe(name, body)
    return
  }
  if (isCI()) throw new Error(`"${name}" cannot run under CI: ${missing.join('; ')}`)
  console.warn(`!!! SKIPPED "${name}": ${missing.join('; ')}`)
  describe.skip(`${name} (skipped: ${missing.join('; ')})`, body)
}

describeWithStores('docs/operations.md shows the admin command as it runs', () => {
  let server: RedisServerProcess
  let client: Redis
  let redisStore: RedisStore
  let postgresStore: PostgresStore
  let bolt: BoltEmulator
  let now = START
  const clock = () => now
  const table = randomTable()
  const postgres = new URL(postgresUrl)
  const generated = new Map<string, string>()
  // One working directory for every run: reencrypt's checkpoint is found there by --resume.
  const cwd = scratchDir()

  beforeAll(async () => {
    server = await startRedisServer(redisServerPath === null ? {} : { serverPath: redisServerPath })
    client = new Redis(server.url, { commandTimeout: 2_000 })
    redisStore = createRedisStore(client, { prefix: 'bolt-tokens:' })
    postgresStore = createPostgresStore(createTestPool(), { table })
    bolt = await startEmulatorForFile({ now: START })
  })
  afterAll(async () => {
    await redisStore?.close()
    await postgresStore?.close()
    await client?.quit().catch(() => client.disconnect())
    await server?.stop()
  })

  function later(ms: number): void {
    now += ms
    bolt.advanceClock(ms)
  }

  /** Five shoppers' sessions under key 2026-05: one per thing the output tells apart. */
  async function shop(store: TokenStore): Promise<void> {
    const tokens = managerOn(bolt, store, { keys: OLD, current: '2026-05' }, { clock })
    const logIn = (id: string, email: string) =>
      tokens.exchangeCode(id, { code: bolt.login({ email }).code })
    await logIn('cart-19bc', 'rae@example.com')
    await logIn('cart-5d20', 'eve@example.com')
    await logIn('cart-e11a', 'rob@example.com')
    bolt.revokeSession(await tokens.getAccessToken('cart-e11a'))
    later(PAST_EXPIRY_MS)
    await tokens.getAccessToken('cart-19bc')
    expect((await rejection(tokens.getAccessToken('cart-e11a'))).code).toBe('INVALID_GRANT')
    await logIn('cart-7f3a', 'ada@example.com')
    await logIn('cart-c0de', 'lou@example.com')
    await tokens.logout('cart-c0de')
  }

  /** Runs `sessions …args` on a store and records it as a shell transcript under `name`. */
  async function transcript(
    name: string,
    on: 'redis' | 'postgres',
    args: string[],
    env: Record<string, string>,
  ): Promise<number> {
    const store =
      on === 'redis'
        ? { argv: ['--redis', server.url], shown: '--redis redis://127.0.0.1:6379' }
        : {
            argv: ['--postgres', postgresUrl, '--table', table],
            shown: '--postgres postgres://127.0.0.1:5432/shop',
          }
    const run = await runInProcess([...args, ...store.argv], { env, clock, cwd })
    const printed = `${run.stderr}${run.stdout}`
      .replaceAll(`${server.host}:${server.port}`, '127.0.0.1:6379')
      .replaceAll(
        `${postgres.hostname}:${postgres.port || '5432'}${postgres.pathname}`,
        '127.0.0.1:5432/shop',
      )
      .replaceAll(table, 'bolt_token_sessions')
      .replaceAll(cwd, '/srv/app')
    const exit = run.exitCode === 0 ? '' : `$ echo $?\n${run.exitCode}\n`
    const command = `$ bolt-token-lifecycle sessions ${args.join(' ')} ${store.shown}`
    generated.set(name, `${command}\n${printed}${exit}`)
    return run.exitCode
  }

  it('generates every block from real runs, and the docs hold exactly those', async () => {
    await shop(redisStore)
    const env = envFor(bolt, { keys: OLD, current: '2026-05' })
    expect(await transcript('stats', 'redis', ['stats'], env)).toBe(0)
    expect(await transcript('inspect', 'redis', ['inspect', 'cart-7f3a'], env)).toBe(0)
    expect(await transcript('inspect-ended', 'redis', ['inspect', 'cart-e11a'], env)).toBe(0)
    expect(await transcript('inspect-unknown', 'redis', ['inspect', 'cart-0000'], env)).toBe(1)
    expect(await transcript('logout', 'redis', ['logout', 'cart-7f3a'], env)).toBe(0)
    expect(await transcript('no-secret', 'redis', ['inspect', 'cart-7f3a'], {})).toBe(2)

    // The runbook, on PostgreSQL (whose keyset pages make the batches the same on every run):
    // every instance has the new key as current, the old one still listed.
    await shop(postgresStore)
    const rotated = envFor(bolt, { keys: NEW, current: '2026-11' })
    later(5 * 60_000)
    const reencrypt = ['reencrypt', '--batch', '2', '--progress-interval-ms', '0']
    expect(
      await transcript('reencrypt-stopped', 'postgres', [...reencrypt, '--limit', '2'], rotated),
    ).toBe(5)
    expect(await transcript('reencrypt', 'postgres', [...reencrypt, '--resume'], rotated)).toBe(0)
    expect(await transcript('stats-after', 'postgres', ['stats'], rotated)).toBe(0)
    expect(await transcript('stats-json', 'postgres', ['stats', '--json'], rotated)).toBe(0)
    generated.set('usage', `$ bolt-token-lifecycle sessions --help\n${SESSIONS_USAGE}\n`)

    const text = readFileSync(docPath, 'utf8')
    if (process.env.BOLT_WRITE_DOCS === '1') {
      let written = text
      for (const [name, body] of generated) {
        written = written.replace(
          new RegExp(`(<!-- sessions-output: ${name} -->\\n\`\`\`text\\n)[\\s\\S]*?(\`\`\`)`),
          (_, open: string, close: string) => `${open}${body}${close}`,
        )
      }
      writeFileSync(docPath, written)
    }
    expect(docBlocks(readFileSync(docPath, 'utf8'))).toEqual(generated)
  })
})

it('the number of sessions docs/operations.md says the scale test counts is the one it counts', () => {
  const text = readFileSync(docPath, 'utf8')
  const scale = readFileSync(join(root, 'test/cli/sessions-scale.test.ts'), 'utf8')
  const said = /counts ([\d,]+) sessions in each store/.exec(text)?.[1]
  const counted = /const SESSIONS = ([\d_]+)/.exec(scale)?.[1]
  expect(said?.replaceAll(',', '')).toBe(counted?.replaceAll('_', ''))
})

it("docs/operations.md's exit-code table is EXIT's", () => {
  const text = readFileSync(docPath, 'utf8')
  const section = text.slice(text.indexOf('### Exit codes'))
  const rows = [...section.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map(([, code, name]) => [
    name,
    Number(code),
  ])
  expect(Object.fromEntries(rows)).toEqual(EXIT)
})

it("the defaults docs/operations.md's prose gives are the command's", () => {
  const text = readFileSync(docPath, 'utf8')
  expect(text).toContain(`(default ${DEFAULT_BATCH_SIZE})`)
  expect(text).toContain(`\`--progress-interval-ms\`, default ${DEFAULT_PROGRESS_INTERVAL_MS})`)
})
