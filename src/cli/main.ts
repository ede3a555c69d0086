#!/usr/bin/env node
/**
 * The `bolt-token-lifecycle` command:
 * - `tour` — walk one shopper through the lifecycle against the built-in emulator (`npm start`);
 * - `emulator [--port N] [--host H] [--grace-ms N]` — run the Bolt emulator for your own tests;
 * - `sessions <stats|inspect|logout|reencrypt>` — the admin command for stored sessions
 *   (`src/cli/sessions/`, docs/operations.md).
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { startBoltEmulator } from '../emulator/index.js'
import { runSessionsCommand } from './sessions/command.js'
import { runTour } from './tour.js'

const usage = `Usage:
  bolt-token-lifecycle tour [--redis URL]        walk one shopper through the token lifecycle
                                                 (on the memory store, or on Redis: --redis or BOLT_REDIS_URL)
  bolt-token-lifecycle emulator [options]        run the Bolt emulator until Ctrl-C
    --port N        port to listen on (default: a free port)
    --host H        interface (default 127.0.0.1; keep it on loopback)
    --grace-ms N    refresh-token reuse grace window in ms (default 0: reuse revokes)
  bolt-token-lifecycle sessions <verb> …           stats, inspect, logout, reencrypt on a Redis or
                                                 PostgreSQL store (sessions --help for more)`

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`--${name} must be a non-negative whole number, got "${value}"`)
  }
  return parsed
}

async function runEmulator(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' }, 'grace-ms': { type: 'string' } },
  })
  const port = numberOption('port', values.port)
  const graceMs = numberOption('grace-ms', values['grace-ms'])
  const bolt = await startBoltEmulator({
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(graceMs === undefined ? {} : { refreshGraceMs: graceMs }),
  })
  const control = `${bolt.url}/__emulator`
  console.log(`Bolt emulator listening on ${bolt.url}
Test credentials (the emulator's public test values, not secrets):
  client_id / X-Publishable-Key: ${bolt.clientId}
  client_secret / X-API-Key:     ${bolt.clientSecret}
Bolt's API:
  token endpoint:   POST ${bolt.url}/v1/oauth/token (also /v3/oauth/token)
  discovery:        GET  ${bolt.url}/.well-known/openid-configuration
  JWKS:             GET  ${bolt.url}/v3/oauth/jwks.json
  Account API:      ${bolt.url}/v1/account (Bearer token + X-API-Key), /v1/account/exists (X-Publishable-Key)
Control endpoints (local testing only; JSON bodies):
  POST   ${control}/login            {email?, firstName?, lastName?, phone?, state?, scope?} -> {code, state?}
  GET    ${control}/shopper?email=…  the shopper account
  GET    ${control}/clock            POST ${control}/clock/advance {ms}
  GET    ${control}/stats            DELETE ${control}/stats (also forgets the request log)
  GET    ${control}/requests         the token requests seen
  POST   ${control}/faults           {fault, times?, route?}; DELETE ${control}/faults
  POST   ${control}/revoke           {token}
  POST   ${control}/signing-key/rotate; PUT ${control}/jwks/available {available}
  get a code: curl -s -X POST ${control}/login -H 'content-type: application/json' -d '{}'
Press Ctrl-C to stop.`)
  const stop = async () => {
    await bolt.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** Runs the admin command on this process's streams; the first Ctrl-C stops `reencrypt` cleanly. */
async function runSessions(args: string[]): Promise<number> {
  const interrupt = new AbortController()
  // Only reencrypt stops at a batch's end; every other verb only reads, and stops at once.
  const stopsAtBatchEnd = args.includes('reencrypt')
  const onInterrupt = () => {
    if (interrupt.signal.aborted || !stopsAtBatchEnd) process.exit(130)
    process.stderr.write('\nStopping after this batch (Ctrl-C again to quit at once)…\n')
    interrupt.abort()
  }
  process.on('SIGINT', onInterrupt)
  try {
    return await runSessionsCommand(args, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      stderrIsTTY: process.stderr.isTTY === true,
      env: process.env,
      cwd: process.cwd(),
      readStdin: async () => {
        let text = ''
        for await (const chunk of process.stdin) text += String(chunk)
        return text
      },
      signal: interrupt.signal,
    })
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'tour': {
      const { values } = parseArgs({ args: rest, options: { redis: { type: 'string' } } })
      const redisUrl = values.redis ?? process.env.BOLT_REDIS_URL
      await runTour(redisUrl === undefined || redisUrl === '' ? {} : { redisUrl })
      return
    }
    case 'emulator':
      await runEmulator(rest)
      return
    case 'sessions':
      process.exitCode = await runSessions(rest)
      return
    case undefined:
    case '--help':
    case '-h':
      console.log(usage)
      return
    default:
      console.error(`Unknown command "${command}".\n\n${usage}`)
      process.exitCode = 2
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
  process.exitCode = 1
})
