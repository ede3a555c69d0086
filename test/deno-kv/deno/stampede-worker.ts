// One backend instance on Deno for the Deno KV stampede: its own Deno.openKv handle on the
// shared file, its own token manager. Prints `READY`, waits for `go` on stdin, fires the
// concurrent getAccessToken calls and prints `RESULT {json}`: outcomes, SHA-256 digests of
// the tokens (never a token), and its lifecycle events' kinds.
// Usage: deno run --unstable-kv … stampede-worker.js '<StampedeWorkerConfig as JSON>'
import { createDenoKvStore } from '../../../adapters/storage/deno-kv.js'
import { isBoltTokenError } from '../../../src/errors.js'
import { createTokenManager } from '../../../src/manager/token-manager.js'
import { Deno, readLine } from './deno-globals.js'

/** What the parent passes as the first argument. */
export interface StampedeWorkerConfig {
  path: string
  prefix: string
  baseUrl: string
  clientId: string
  clientSecret: string
  clockOffsetMs: number
  sessionId: string
  concurrency: number
  timing: { timeoutMs: number; leaseMs: number; pollIntervalMs: number }
}

/** What the worker prints after `RESULT `. */
export interface StampedeWorkerResult {
  outcomes: string[]
  tokenDigests: string[]
  transitions: string[]
  errors: string[]
}

async function digest(token: string): Promise<string> {
  const bytes = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

const config = JSON.parse(Deno.args[0] ?? '{}') as StampedeWorkerConfig
const kv = await Deno.openKv(config.path)
const store = createDenoKvStore(kv, { prefix: config.prefix })
const tokens = createTokenManager({
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  baseUrl: config.baseUrl,
  store,
  clock: () => Date.now() + config.clockOffsetMs,
  ...config.timing,
})
const transitions: string[] = []
const errors: string[] = []
tokens.subscribe((event) => {
  if (event.type === 'transition') transitions.push(event.event)
  else if (event.type === 'error') errors.push(event.error.code)
})
// A backend instance has its watch machinery running before a stampede comes.
;(await store.subscribe('warm-up', () => {}))()
console.log('READY')
if ((await readLine()) !== 'go') throw new Error('expected go')
const settled = await Promise.allSettled(
  Array.from({ length: config.concurrency }, () => tokens.getAccessToken(config.sessionId)),
)
const result: StampedeWorkerResult = {
  outcomes: settled.map((each) =>
    each.status === 'fulfilled'
      ? 'ok'
      : isBoltTokenError(each.reason)
        ? each.reason.code
        : 'NOT_A_BOLT_TOKEN_ERROR',
  ),
  tokenDigests: await Promise.all(
    settled.flatMap((each) => (each.status === 'fulfilled' ? [digest(each.value)] : [])),
  ),
  transitions,
  errors,
}
console.log(`RESULT ${JSON.stringify(result)}`)
await store.close()
kv.close()
Deno.exit(0)
