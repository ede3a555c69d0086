// Run with --expose-gc by bench/memory-size.ts: measures the heap that 100 000 sessions take
// in the memory store, with records shaped and encoded exactly as the manager stores them, and
// what the parts of that cost (record strings, keys, the store's own entries) come to.
import { createHash, randomBytes } from 'node:crypto'
import { getHeapStatistics } from 'node:v8'
import { createMemoryStore } from '../adapters/storage/memory.js'
import { emulatorManagerOptions, startBoltEmulator } from '../src/emulator/index.js'
import {
  decodeSessionRecord,
  encodeSessionRecord,
  reviveSnapshot,
  type SessionRecord,
} from '../src/manager/session-record.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import { type ChildMessage, serveParent } from './child.js'

/** What the child measured. */
export interface MemorySizeResult {
  type: 'result'
  sessions: number
  /** Heap growth per session of the memory store holding them, as written. */
  storeBytes: number
  /** The same after one read of each session (which flattens the record string). */
  storeReadBytes: number
  /** Heap growth per session of a plain `Map<string, string>` of the same keys and records. */
  plainMapBytes: number
  /** Heap growth per session of the record strings alone (in an array), as encoded. */
  recordStringBytes: number
  /** The same strings once flattened (V8 builds JSON.stringify's result as a rope). */
  flatRecordBytes: number
  /** Heap growth per entry of the manager's decoded-record cache (after reading sessions). */
  recordCacheBytes: number
  recordCacheEntries: number
  /** Characters of one stored record (one-byte string) and of one session id. */
  recordLength: number
  sessionIdLength: number
  /** Lengths of the emulator's tokens. */
  tokenLengths: { access: number; refresh: number; id: number }
}

const SESSION_TTL_MS = 30 * 24 * 3_600_000
const SESSIONS = Number(process.env.BOLT_BENCH_SESSIONS ?? 100_000)
const CACHED = 10_000

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

function heapUsed(): number {
  // Several passes: the first may leave weak and finalised objects for the next.
  for (let i = 0; i < 4; i++) (gc as () => void)()
  return getHeapStatistics().used_heap_size
}

/** A merchant's session id (32 characters, like a session cookie), the same for the same `i`. */
function sessionId(i: number): string {
  return createHash('sha256').update(`session-${i}`).digest('base64url').slice(0, 32)
}

/** A fresh string of `length` base64url characters starting with `prefix`. */
function randomLike(prefix: string, length: number): string {
  const body = randomBytes(Math.ceil(((length - prefix.length) * 3) / 4) + 3).toString('base64url')
  return `${prefix}${body.slice(0, length - prefix.length)}`
}

/** One real session record from the emulator, as the manager stored it after a login. */
async function template(): Promise<SessionRecord> {
  const bolt = await startBoltEmulator()
  try {
    const store = createMemoryStore()
    const manager = createTokenManager({ ...emulatorManagerOptions(bolt), store })
    await manager.exchangeCode('template', { code: bolt.login().code })
    const stored = await store.get(deriveStoreKey(bolt.clientSecret, 'template'))
    const record = stored === undefined ? undefined : decodeSessionRecord(stored.value)
    if (record?.context.tokens == null) throw new Error('no session record after a login')
    return record
  } finally {
    await bolt.close()
  }
}

/** Session `i`'s record: the template with fresh tokens of the same shape, encoded as the manager does. */
function recordFor(shape: SessionRecord): string {
  const tokens = shape.context.tokens as NonNullable<SessionRecord['context']['tokens']>
  const idToken = tokens.idToken
  const fresh = {
    ...tokens,
    accessToken: randomLike('at_', tokens.accessToken.length),
    refreshToken: randomLike('rt_', tokens.refreshToken.length),
    ...(idToken === undefined
      ? {}
      : {
          // Header and claims as issued; the signature differs per token.
          idToken: `${idToken.slice(0, idToken.lastIndexOf('.') + 1)}${randomLike('', idToken.length - idToken.lastIndexOf('.') - 1)}`,
        }),
  }
  return encodeSessionRecord(
    reviveSnapshot({ ...shape, context: { ...shape.context, tokens: fresh } }),
  )
}

/**
 * Heap per session of the memory store as written, then after one read of each session, then
 * per entry of the manager's decoded-record cache.
 */
async function measureStore(
  shape: SessionRecord,
): Promise<{ written: number; read: number; cache: number }> {
  const before = heapUsed()
  const store = createMemoryStore()
  for (let i = 0; i < SESSIONS; i++) {
    // Under the key the manager below derives (its API key is 'sk'), as a real store holds it.
    await store.compareAndSet(deriveStoreKey('sk', sessionId(i)), recordFor(shape), {
      expectedVersion: 0,
      ttlMs: SESSION_TTL_MS,
    })
  }
  const written = heapUsed()
  // What a session's first read does to its record (the manager parses it): V8 flattens the
  // rope JSON.stringify built, in place. Nothing is kept here; the cache is measured next.
  for (let i = 0; i < SESSIONS; i++) {
    JSON.parse((await store.get(deriveStoreKey('sk', sessionId(i))))?.value ?? 'null')
  }
  const read = heapUsed()
  // The manager keeps the last decoded record of the sessions it reads (at most 10 000).
  const manager = createTokenManager({ clientId: 'pk', clientSecret: 'sk', store })
  for (let i = 0; i < CACHED; i++) await manager.getAccessToken(sessionId(i))
  const cached = heapUsed()
  // Used after measuring, so that neither is collected before.
  if (store.size() !== SESSIONS) throw new Error(`the store holds ${store.size()} sessions`)
  await manager.getStatus(sessionId(0))
  return {
    written: (written - before) / SESSIONS,
    read: (read - before) / SESSIONS,
    cache: (cached - read) / CACHED,
  }
}

/** Heap per session of a plain `Map<string, string>` of the same keys and records. */
function measurePlainMap(shape: SessionRecord): number {
  const before = heapUsed()
  const plain = new Map<string, string>()
  for (let i = 0; i < SESSIONS; i++) plain.set(sessionId(i), recordFor(shape))
  const perSession = (heapUsed() - before) / SESSIONS
  if (plain.size !== SESSIONS) throw new Error('lost entries')
  return perSession
}

/**
 * Heap per record string alone, as JSON.stringify returns it and flattened (the array holding
 * them is allocated before measuring).
 */
function measureStrings(shape: SessionRecord): { asWritten: number; flat: number } {
  const strings: string[] = new Array(SESSIONS).fill('')
  const before = heapUsed()
  for (let i = 0; i < SESSIONS; i++) strings[i] = recordFor(shape)
  const written = heapUsed()
  for (const value of strings) value.charCodeAt(0)
  const flat = heapUsed()
  if (strings.length !== SESSIONS) throw new Error('lost strings')
  return { asWritten: (written - before) / SESSIONS, flat: (flat - before) / SESSIONS }
}

async function measure(): Promise<MemorySizeResult> {
  const shape = await template()
  const sample = recordFor(shape)
  const tokens = shape.context.tokens as NonNullable<SessionRecord['context']['tokens']>
  const {
    written: storeBytes,
    read: storeReadBytes,
    cache: recordCacheBytes,
  } = await measureStore(shape)
  const plainMapBytes = measurePlainMap(shape)
  const { asWritten: recordStringBytes, flat: flatRecordBytes } = measureStrings(shape)
  return {
    type: 'result',
    sessions: SESSIONS,
    storeBytes,
    storeReadBytes,
    plainMapBytes,
    recordStringBytes,
    flatRecordBytes,
    recordCacheBytes,
    recordCacheEntries: CACHED,
    recordLength: sample.length,
    sessionIdLength: sessionId(0).length,
    tokenLengths: {
      access: tokens.accessToken.length,
      refresh: tokens.refreshToken.length,
      id: tokens.idToken?.length ?? 0,
    },
  }
}

const { send } = serveParent(async (message: ChildMessage) =>
  message.type === 'measure' ? measure() : undefined,
)
send({ type: 'ready' })
