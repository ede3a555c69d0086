/**
 * The smoke test's entry on Node, Bun and Deno: `<runtime> main.js '<SmokeRequest as JSON>'`.
 * Prints progress lines and a `RESULT` line; exits 1 when the lifecycle failed.
 */
import type { TokenStore } from 'bolt-token-lifecycle'
import { createMemoryStore } from 'bolt-token-lifecycle/memory'
import { runSmoke, type SmokeRequest } from './scenario.js'

// Node, Bun and Deno 2 all have the `process` global.
const request = JSON.parse(process.argv[2] ?? '{}') as SmokeRequest

let store: TokenStore & { close?: () => Promise<void> }
if (request.scenario.store === 'redis') {
  if (request.redisUrl === undefined) throw new Error('the redis scenario needs redisUrl')
  // Imported only here: ioredis needs node:net, which not every runtime has.
  const { openRedisStore } = await import('./redis-store.js')
  store = await openRedisStore(request.redisUrl)
} else if (request.scenario.store === 'upstash') {
  if (request.upstash === undefined) throw new Error('the upstash scenario needs upstash')
  const { openUpstashStore } = await import('./upstash-store.js')
  store = openUpstashStore(request.upstash)
} else if (request.scenario.store === 'deno-kv') {
  if (request.kvPath === undefined) throw new Error('the deno-kv scenario needs kvPath')
  // Imported only here: it needs Deno.openKv.
  const { openDenoKvStore } = await import('./deno-kv-store.js')
  store = await openDenoKvStore(request.kvPath)
} else if (request.scenario.store === 'postgres') {
  if (request.postgresUrl === undefined) throw new Error('the postgres scenario needs postgresUrl')
  // Imported only here, as ioredis is: pg needs node:net.
  const { openPostgresStore } = await import('./postgres-store.js')
  store = await openPostgresStore(request.postgresUrl)
} else {
  store = createMemoryStore()
}
try {
  const outcome = await runSmoke(request, store, (line) => console.log(line))
  process.exitCode = outcome.ok ? 0 : 1
} finally {
  await store.close?.()
}
