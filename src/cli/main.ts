#!/usr/bin/env node
/**
 * The `bolt-token-lifecycle` command:
 * - `tour` — walk one shopper through the lifecycle against the built-in emulator (`npm start`);
 * - `emulator [--port N] [--host H] [--grace-ms N]` — run the Bolt emulator for your own tests.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { startBoltEmulator } from '../emulator/index.js'
import { runTour } from './tour.js'

const usage = `Usage:
  bolt-token-lifecycle tour [--redis URL]        walk one shopper through the token lifecycle
                                                 (on the memory store, or on Redis: --redis or BOLT_REDIS_URL)
  bolt-token-lifecycle emulator [options]        run the Bolt emulator until Ctrl-C
    --port N        port to listen on (default: a free port)
    --host H        interface (default 127.0.0.1; keep it on loopback)
    --grace-ms N    refresh-token reuse grace window in ms (default 0: reuse revokes)`

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
  console.log(`Bolt emulator listening on ${bolt.url}
  clientId (publishable key): ${bolt.clientId}
  clientSecret (API key):     the emulator's default test key (see EMULATOR_DEFAULTS)
  token endpoint:             POST ${bolt.url}/v1/oauth/token
  account API:                GET ${bolt.url}/v1/account, POST ${bolt.url}/v1/account/addresses
  get a code:                 curl -s -X POST ${bolt.url}/__emulator/login -H 'content-type: application/json' -d '{}'
Press Ctrl-C to stop.`)
  const stop = async () => {
    await bolt.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
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
