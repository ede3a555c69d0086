/**
 * The admin command's arguments: `sessions <verb> [sessionId] --redis URL [--prefix P]` or
 * `--postgres URL [--table T]`, and the options of each verb, checked before anything
 * connects.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { DEFAULT_TABLE } from '../../../adapters/storage/postgres-sql.js'
import { DEFAULT_PREFIX } from '../../../adapters/storage/redis-protocol.js'
import { ENV, type Environment } from './environment.js'
import { usageError } from './exit-codes.js'

/** The verbs. */
export const VERBS = ['stats', 'inspect', 'logout', 'reencrypt'] as const

/** One of {@link VERBS}. */
export type Verb = (typeof VERBS)[number]

/** The store the command works on. */
export type Target =
  | { kind: 'redis'; url: string; prefix: string }
  | { kind: 'postgres'; url: string; table: string }

/** The parsed arguments. */
export interface SessionsArgs {
  verb: Verb
  /** `inspect` and `logout`: the session id, or `-` for standard input. */
  sessionId: string | undefined
  target: Target
  json: boolean
  /** Records per batch (Redis `SCAN … COUNT`, SQL `LIMIT`). */
  batchSize: number
  /** `reencrypt`: the checkpoint file. */
  checkpoint: string
  /** `reencrypt`: continue from the checkpoint. */
  resume: boolean
  /** `reencrypt`: stop after about this many records (checkpoint saved). */
  limit: number | undefined
  /** `reencrypt`: least time between two progress lines when standard error is not a terminal. */
  progressIntervalMs: number
}

/** Where `reencrypt` saves its checkpoint unless told otherwise. */
export const DEFAULT_CHECKPOINT = 'bolt-reencrypt.checkpoint.json'

/** Records read (and written) per batch without `--batch`. */
export const DEFAULT_BATCH_SIZE = 500

/** The least time between progress lines off a terminal without `--progress-interval-ms`. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 1_000

/** The command's help. */
export const SESSIONS_USAGE = `Usage: bolt-token-lifecycle sessions <verb> [sessionId] <store> [options]

Verbs:
  stats                  sessions by state, access tokens and records ending within the hour
  inspect <sessionId>    one session: state, scopes, expiry, last error code, email (never a token)
  logout <sessionId>     end one session through the token manager (fenced like any logout)
  reencrypt              rewrite every record under the current key after a key rotation
  (a sessionId of - is read from standard input, so it stays out of the process list)

Store (one of):
  --redis URL            redis://[user:password@]host:port[/db] (or ${ENV.redisUrl})
    --prefix P           the Redis store's prefix (default ${DEFAULT_PREFIX})
  --postgres URL         postgres://[user:password@]host:port/database (or ${ENV.postgresUrl})
    --table T            the PostgreSQL store's table (default ${DEFAULT_TABLE})

Options:
  --json                 print the result as JSON (errors too: {"error":{"exitCode","message"}})
  --batch N              records per batch (default ${DEFAULT_BATCH_SIZE})
  reencrypt:
  --checkpoint FILE      where progress is saved after every batch (default ${DEFAULT_CHECKPOINT})
  --resume               continue from the checkpoint
  --limit N              stop after about N records, checkpoint saved (exit 5)
  --progress-interval-ms N  least time between progress lines off a terminal (default ${DEFAULT_PROGRESS_INTERVAL_MS})

Environment:
  ${ENV.encryption}    your token manager's \`encryption\` option as JSON (encrypted records)
  ${ENV.storeKeySecret}     your \`storeKeySecret\` (inspect, logout), else ${ENV.apiKey}
  ${ENV.baseUrl}, ${ENV.publishableKey}  where the sessions' ID tokens come from (inspect's email)

Exit codes: 0 done · 1 unknown session · 2 bad argument or environment · 3 store unreachable
  or failed · 4 records could not be read · 5 stopped at --limit · 6 unexpected failure
  · 130 interrupted (reencrypt: --resume continues)`

function wholeNumber(name: string, value: string | undefined, fallback: number, least = 1): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < least) {
    throw usageError(`--${name} must be a whole number of at least ${least}, got "${value}".`)
  }
  return parsed
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function targetOf(
  values: { redis?: string; postgres?: string; prefix?: string; table?: string },
  env: Environment,
): Target {
  if (values.redis !== undefined && values.postgres !== undefined) {
    throw usageError('Give one store: --redis URL or --postgres URL, not both.')
  }
  let redis = values.redis
  let postgres = values.postgres
  if (redis === undefined && postgres === undefined) {
    redis = present(env[ENV.redisUrl])
    postgres = present(env[ENV.postgresUrl])
    if (redis !== undefined && postgres !== undefined) {
      throw usageError(
        `Both ${ENV.redisUrl} and ${ENV.postgresUrl} are set: say which store with --redis URL or --postgres URL.`,
      )
    }
  }
  if (redis !== undefined) {
    if (values.table !== undefined)
      throw usageError('--table goes with --postgres; Redis takes --prefix.')
    return { kind: 'redis', url: redis, prefix: values.prefix ?? DEFAULT_PREFIX }
  }
  if (postgres !== undefined) {
    if (values.prefix !== undefined)
      throw usageError('--prefix goes with --redis; PostgreSQL takes --table.')
    return { kind: 'postgres', url: postgres, table: values.table ?? DEFAULT_TABLE }
  }
  throw usageError(
    `Which store? Give --redis URL (with --prefix P) or --postgres URL (with --table T), or set ${ENV.redisUrl} or ${ENV.postgresUrl}.`,
  )
}

/**
 * Parses the words after `sessions`.
 *
 * @returns the arguments, or `'help'` for `--help`, `-h` or no verb.
 * @throws {AdminCommandError} `USAGE`, saying what is wrong.
 */
export function parseSessionsArgs(argv: string[], env: Environment): SessionsArgs | 'help' {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw usageError(`${(error as Error).message}\n\n${SESSIONS_USAGE}`)
  }
  const { values, positionals } = parsed
  const [verb, sessionId, ...extra] = positionals
  if (values.help === true || verb === undefined) return 'help'
  if (!(VERBS as readonly string[]).includes(verb)) {
    // Quoted only when it looks like a mistyped verb, never like a value.
    const shown = /^[a-z-]{1,20}$/.test(verb) ? `"${verb}"` : '(not shown)'
    throw usageError(`Unknown verb ${shown}: use one of ${VERBS.join(', ')}.\n\n${SESSIONS_USAGE}`)
  }
  const takesId = verb === 'inspect' || verb === 'logout'
  if (extra.length > 0 || (!takesId && sessionId !== undefined)) {
    // Not quoted: a stray word may be a session id or a URL with its password.
    throw usageError(
      `${verb} takes ${takesId ? 'one session id' : 'no session id'}, and no other word: check the command line.`,
    )
  }
  if (verb !== 'reencrypt') {
    for (const option of ['checkpoint', 'resume', 'limit', 'progress-interval-ms'] as const) {
      if (values[option] !== undefined) throw usageError(`--${option} goes with reencrypt only.`)
    }
  }
  return {
    verb: verb as Verb,
    sessionId,
    target: targetOf(values, env),
    json: values.json === true,
    batchSize: wholeNumber('batch', values.batch, DEFAULT_BATCH_SIZE),
    checkpoint: values.checkpoint ?? DEFAULT_CHECKPOINT,
    resume: values.resume === true,
    limit: values.limit === undefined ? undefined : wholeNumber('limit', values.limit, 0),
    progressIntervalMs: wholeNumber(
      'progress-interval-ms',
      values['progress-interval-ms'],
      DEFAULT_PROGRESS_INTERVAL_MS,
      0,
    ),
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      redis: { type: 'string' },
      postgres: { type: 'string' },
      prefix: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'boolean' },
      batch: { type: 'string' },
      checkpoint: { type: 'string' },
      resume: { type: 'boolean' },
      limit: { type: 'string' },
      'progress-interval-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
