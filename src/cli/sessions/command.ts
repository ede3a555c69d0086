/**
 * `bolt-token-lifecycle sessions <stats|inspect|logout|reencrypt>`: the admin command for the
 * sessions a Redis or PostgreSQL store holds. {@link runSessionsCommand} runs it in-process
 * (the CLI's `main.ts` and the tests call it) and resolves with the exit code.
 *
 * @module
 */
import { resolve } from 'node:path'
import { isBoltTokenError } from '../../errors.js'
import { findSession } from './admin-manager.js'
import { parseSessionsArgs, SESSIONS_USAGE, type SessionsArgs } from './arguments.js'
import { ENV, type Environment, keyRingFrom, managerSecretsFrom } from './environment.js'
import { AdminCommandError, EXIT, type ExitCode } from './exit-codes.js'
import { inspectSession } from './inspect.js'
import { logoutSession } from './logout.js'
import { openPostgresSource } from './postgres-source.js'
import { createProgress } from './progress.js'
import { createRecordReader } from './record-reader.js'
import { openRedisSource } from './redis-source.js'
import { reencryptSessions } from './reencrypt.js'
import { renderInspection, renderLogout, renderReencrypt, renderStats } from './render.js'
import { guardSource, type ScanPage, type SessionSource } from './source.js'
import { collectStats } from './stats.js'

export { SESSIONS_USAGE } from './arguments.js'
export { EXIT } from './exit-codes.js'

/** Where the command reads and writes: the process's own, or a test's. */
export interface SessionsCommandIo {
  /** Results (text or `--json`). */
  stdout: (text: string) => void
  /** Progress, warnings and errors. */
  stderr: (text: string) => void
  /** Whether standard error is a terminal (then `reencrypt` draws a progress bar). */
  stderrIsTTY: boolean
  env: Environment
  /** Relative `--checkpoint` paths resolve from here. */
  cwd: string
  /** The session id when it is given as `-` (kept off the command line, where `ps` shows it). */
  readStdin: () => Promise<string>
  /** Aborted on Ctrl-C: `reencrypt` stops after its current batch and saves its checkpoint. */
  signal?: AbortSignal
  /** The clock states and expiries are read at. @default Date.now */
  clock?: () => number
  /** For tests: called with each batch of `stats` or `reencrypt` after it is read (before any write). */
  afterScan?: (page: ScanPage) => Promise<void>
}

async function openSource(args: SessionsArgs, io: SessionsCommandIo): Promise<SessionSource> {
  const warn = (line: string) => io.stderr(`warning: ${line}\n`)
  const source =
    args.target.kind === 'redis'
      ? await openRedisSource({ url: args.target.url, prefix: args.target.prefix, warn })
      : await openPostgresSource({ url: args.target.url, table: args.target.table })
  return guardSource(source)
}

async function sessionIdOf(args: SessionsArgs, io: SessionsCommandIo): Promise<string> {
  const given = args.sessionId ?? ''
  const id = given === '-' ? ((await io.readStdin()).split('\n')[0]?.trim() ?? '') : given
  if (id === '') {
    throw new AdminCommandError(
      EXIT.USAGE,
      `${args.verb} needs a session id: bolt-token-lifecycle sessions ${args.verb} <sessionId> (or - to read it from standard input).`,
    )
  }
  return id
}

/** Runs one verb; resolves with its result and exit code. */
async function runVerb(
  args: SessionsArgs,
  io: SessionsCommandIo,
): Promise<{ result: object; text: string; exitCode: ExitCode }> {
  const clock = io.clock ?? Date.now
  const now = clock()
  const ring = keyRingFrom(io.env)
  if (args.verb === 'reencrypt' && ring === undefined) {
    throw new AdminCommandError(
      EXIT.USAGE,
      `reencrypt needs the key ring: set ${ENV.encryption} to your token manager's \`encryption\` option as JSON, the new key as "current" and the old ones still listed: {"keys":{"2026-11":"<base64 key>","2026-05":"<base64 key>"},"current":"2026-11"}.`,
    )
  }
  const byId = args.verb === 'inspect' || args.verb === 'logout'
  // Checked before connecting: a missing variable is said first, whatever the store holds.
  if (byId) managerSecretsFrom(io.env)
  const sessionId = byId ? await sessionIdOf(args, io) : ''
  const source = await openSource(args, io)
  try {
    switch (args.verb) {
      case 'stats': {
        const reader = createRecordReader(ring)
        const stats = await collectStats({
          source,
          reader,
          batchSize: args.batchSize,
          now,
          afterScan: io.afterScan,
        })
        const exitCode = stats.unreadable > 0 ? EXIT.UNREADABLE_RECORDS : EXIT.OK
        return { result: stats, text: renderStats(stats), exitCode }
      }
      case 'inspect': {
        const found = await inspectSession(
          await findSession(source, io.env, ring, sessionId, clock),
          sessionId,
        )
        const exitCode = found.readable ? EXIT.OK : EXIT.UNREADABLE_RECORDS
        return { result: found, text: renderInspection(found, now), exitCode }
      }
      case 'logout': {
        const done = await logoutSession(
          await findSession(source, io.env, ring, sessionId, clock),
          sessionId,
        )
        return { result: done, text: renderLogout(done), exitCode: EXIT.OK }
      }
      case 'reencrypt': {
        const keys = ring as NonNullable<typeof ring>
        const progress = createProgress({
          write: io.stderr,
          isTTY: io.stderrIsTTY,
          intervalMs: args.progressIntervalMs,
          estimate: await source.estimate(),
        })
        const done = await reencryptSessions({
          source,
          ring: keys,
          batchSize: args.batchSize,
          checkpointPath: resolve(io.cwd, args.checkpoint),
          resume: args.resume,
          limit: args.limit,
          progress,
          signal: io.signal,
          afterScan: io.afterScan,
        })
        const exitCode =
          done.stoppedBy === 'limit'
            ? EXIT.STOPPED_AT_LIMIT
            : done.stoppedBy === 'interrupt'
              ? EXIT.INTERRUPTED
              : done.counts.unreadable > 0
                ? EXIT.UNREADABLE_RECORDS
                : EXIT.OK
        return { result: done, text: renderReencrypt(done), exitCode }
      }
    }
  } finally {
    await source.close().catch(() => {})
  }
}

/** The exit code and message of a failure. */
function failure(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof AdminCommandError)
    return { exitCode: error.exitCode, message: error.message }
  if (isBoltTokenError(error, 'STORE_UNAVAILABLE'))
    return { exitCode: EXIT.STORE_UNAVAILABLE, message: error.message }
  const reason =
    error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)
  return {
    exitCode: EXIT.FAILED,
    message: `The command failed unexpectedly (${reason}). Please report it, with this message.`,
  }
}

/**
 * Runs `bolt-token-lifecycle sessions …` with `argv` (the words after `sessions`) and resolves
 * with the exit code (see {@link EXIT}). Never rejects: every failure is a message on standard
 * error (and, with `--json`, an `{ "error": … }` object on standard output).
 */
export async function runSessionsCommand(argv: string[], io: SessionsCommandIo): Promise<ExitCode> {
  let json = argv.includes('--json')
  try {
    const args = parseSessionsArgs(argv, io.env)
    if (args === 'help') {
      io.stdout(`${SESSIONS_USAGE}\n`)
      return EXIT.OK
    }
    json = args.json
    const { result, text, exitCode } = await runVerb(args, io)
    io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : text)
    return exitCode
  } catch (error) {
    const { exitCode, message } = failure(error)
    io.stderr(`error: ${message}\n`)
    if (json) io.stdout(`${JSON.stringify({ error: { exitCode, message } }, null, 2)}\n`)
    return exitCode
  }
}
