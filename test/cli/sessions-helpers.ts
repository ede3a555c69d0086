// What the admin-command tests share: running `bolt-token-lifecycle sessions` in-process and
// as a real subprocess, and a store (Redis or PostgreSQL) with real sessions made by real
// token managers against the emulator, plain and encrypted.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { runSessionsCommand, type SessionsCommandIo } from '../../src/cli/sessions/command.js'
import type { TokenStore } from '../../src/contracts.js'
import type { EncryptionOptions } from '../../src/crypto/encryption.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import type { TokenManagerOptions } from '../../src/manager/options.js'
import { managerFor } from '../support/harness.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Two 32-byte keys, as `openssl rand -base64 32` gives them. */
export const KEYS = {
  k0: randomBytes(32).toString('base64'),
  k1: randomBytes(32).toString('base64'),
  k2: randomBytes(32).toString('base64'),
}

/** A key ring of `ids` with `current`, as the token manager's option. */
export function ring(ids: (keyof typeof KEYS)[], current: keyof typeof KEYS): EncryptionOptions {
  return { keys: Object.fromEntries(ids.map((id) => [id, KEYS[id]])), current }
}

/** The environment the command reads for sessions made by managers of `bolt`. */
export function envFor(bolt: BoltEmulator, encryption?: EncryptionOptions): Record<string, string> {
  return {
    BOLT_API_KEY: bolt.clientSecret,
    BOLT_PUBLISHABLE_KEY: bolt.clientId,
    BOLT_BASE_URL: bolt.url,
    ...(encryption === undefined ? {} : { BOLT_TOKENS_ENCRYPTION: JSON.stringify(encryption) }),
  }
}

/** What one run of the command printed, and its exit code. */
export interface CommandRun {
  exitCode: number
  stdout: string
  stderr: string
  /** The signal that ended a subprocess, or `null`. */
  signal?: NodeJS.Signals | null
}

const scratch: string[] = []
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A scratch directory removed after the file, for checkpoints. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bolt-sessions-'))
  scratch.push(dir)
  return dir
}

/** Runs `sessions …argv` in this process. */
export async function runInProcess(
  argv: string[],
  io: Partial<SessionsCommandIo> & { env: Record<string, string | undefined> },
): Promise<CommandRun> {
  let stdout = ''
  let stderr = ''
  const exitCode = await runSessionsCommand(argv, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    stderrIsTTY: false,
    cwd: io.cwd ?? scratchDir(),
    readStdin: async () => '',
    ...io,
  })
  return { exitCode, stdout, stderr }
}

/**
 * Starts `node --import tsx src/cli/main.ts sessions …argv` (the CLI as merchants run it) in
 * the repository, where tsx resolves: give `reencrypt` an absolute `--checkpoint`.
 */
export function spawnCommand(
  argv: string[],
  env: Record<string, string>,
  options: { stdin?: string } = {},
): { child: ChildProcess; done: Promise<CommandRun> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'sessions', ...argv],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  child.stdin?.end(options.stdin ?? '')
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk)
  })
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const done = new Promise<CommandRun>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ exitCode: code ?? -1, stdout, stderr, signal }))
  })
  return { child, done }
}

/** Runs the CLI as a subprocess to its end. */
export function runSubprocess(
  argv: string[],
  env: Record<string, string>,
  options: { stdin?: string } = {},
): Promise<CommandRun> {
  return spawnCommand(argv, env, options).done
}

/** A manager of `bolt` on `store`, optionally encrypting. */
export function managerOn(
  bolt: BoltEmulator,
  store: TokenStore,
  encryption?: EncryptionOptions,
  overrides: Partial<TokenManagerOptions> = {},
) {
  return managerFor(bolt, createFetchTransport(), {
    store,
    ...(encryption === undefined ? {} : { encryption }),
    ...overrides,
  })
}

/** Any token, code or JWT the emulator hands out, as it would appear in printed output. */
export const SECRET_SHAPES = [/\b(at|rt|code)_[A-Za-z0-9_-]{10,}/, /eyJ[A-Za-z0-9_-]{10,}/]
