// The Worker the `durable-object-hit` section runs in workerd (bench/durable-object-hit.ts
// bundles it with esbuild). The Durable Objects store only runs in a Worker, so its read is
// measured there: on POST /run, it logs the sessions in through a token manager on
// `createDurableObjectStore(env.SESSIONS)` (the codes come from the bench process, the code
// exchanges go from here to the Bolt emulator on loopback), counts the RPCs of valid-token
// reads on a counting wrapper of the namespace, then times the manager's `getAccessToken`
// against a raw RPC `read()` of the same objects, in the interleaved rounds every `*-hit`
// section uses (`interleaveReads`), and answers the per-round rates. The bench process prints
// them with the shared table. The answer is streamed (a line when the timing starts, then the
// result), so that a long run does not wait on response headers.
import { createFetchTransport } from '../adapters/http/fetch.js'
import {
  BoltSessionObject,
  createDurableObjectStore,
  type SessionObjectNamespace,
  type SessionObjectRecord,
} from '../adapters/storage/cloudflare.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager, type TokenManager } from '../src/manager/token-manager.js'
import { interleaveReads, type ReadRounds, type ReadSettings } from './read-comparison.js'

export { BoltSessionObject }

interface Env {
  SESSIONS: SessionObjectNamespace
}

/** What POST /run does. */
export interface DurableObjectBenchCall {
  connection: { clientId: string; clientSecret: string; baseUrl: string }
  /** The store's prefix (a fresh one per run). */
  prefix: string
  /** Session ids and the login-modal codes to exchange for them. */
  sessions: { id: string; code: string }[]
  /** Sequential valid-token reads whose RPCs are counted. */
  readsCounted: number
  concurrency: number
  settings: ReadSettings
}

/** RPCs by method of the session object's protocol. */
export type RpcCounts = Record<'read' | 'compareAndSet' | 'deleteRecord' | 'watch' | 'time', number>

/** The answer of POST /run. */
export interface DurableObjectBenchResult {
  /** The RPCs of {@link DurableObjectBenchCall.readsCounted} valid-token reads, by method. */
  rpcs: RpcCounts
  /** Stubs the store made during those reads. */
  stubs: number
  /** UTF-8 bytes of the stored record's value. */
  recordBytes: number
  perRound: ReadRounds
}

/** One line of the streamed answer. */
export type DurableObjectBenchLine =
  /** The count is done and the timing starts. */
  | { type: 'timing'; counted: Omit<DurableObjectBenchResult, 'perRound'> }
  | { type: 'result'; result: DurableObjectBenchResult }
  | { type: 'error'; error: string }

/** `namespace`, counting the stubs it makes and every RPC made on them. */
function counted(namespace: SessionObjectNamespace) {
  const rpcs: RpcCounts = { read: 0, compareAndSet: 0, deleteRecord: 0, watch: 0, time: 0 }
  const counts = { stubs: 0, rpcs }
  const wrapped: SessionObjectNamespace = {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      counts.stubs++
      const stub = namespace.get(id)
      return {
        read: () => {
          rpcs.read++
          return stub.read()
        },
        compareAndSet: (value, expectedVersion, ttlMs) => {
          rpcs.compareAndSet++
          return stub.compareAndSet(value, expectedVersion, ttlMs)
        },
        deleteRecord: () => {
          rpcs.deleteRecord++
          return stub.deleteRecord()
        },
        watch: (maxMs) => {
          rpcs.watch++
          return stub.watch(maxMs)
        },
        time: () => {
          rpcs.time++
          return stub.time()
        },
      }
    },
  }
  return { namespace: wrapped, counts }
}

function managerOn(namespace: SessionObjectNamespace, call: DurableObjectBenchCall): TokenManager {
  return createTokenManager({
    ...call.connection,
    http: createFetchTransport(),
    store: createDurableObjectStore(namespace, { prefix: call.prefix }),
  })
}

async function run(
  env: Env,
  call: DurableObjectBenchCall,
  timing: (counted: Omit<DurableObjectBenchResult, 'perRound'>) => Promise<void>,
): Promise<DurableObjectBenchResult> {
  const ids = call.sessions.map((session) => session.id)
  // Logins and the count go through the counting wrapper; the timed manager and the raw read
  // use the binding itself, so that neither pays for the count.
  const { namespace, counts } = counted(env.SESSIONS)
  const loggingIn = managerOn(namespace, call)
  const tokens: string[] = []
  for (const { id, code } of call.sessions) {
    await loggingIn.exchangeCode(id, { code })
    tokens.push(await loggingIn.getAccessToken(id))
  }

  const first = ids[0] as string
  const token = await loggingIn.getAccessToken(first)
  const before = { stubs: counts.stubs, rpcs: { ...counts.rpcs } }
  for (let i = 0; i < call.readsCounted; i++) {
    if ((await loggingIn.getAccessToken(first)) !== token) throw new Error('wrong token')
  }
  const rpcs = Object.fromEntries(
    Object.entries(counts.rpcs).map(([name, count]) => [
      name,
      count - before.rpcs[name as keyof RpcCounts],
    ]),
  ) as RpcCounts
  const stubs = counts.stubs - before.stubs

  // The raw read: what a Worker of its own writes to read an object by name, the same RPC the
  // store's `get` makes (a stub per call, as the store makes one), without the library.
  const names = ids.map((id) => `${call.prefix}${deriveStoreKey(call.connection.clientSecret, id)}`)
  // (workerd's RPC answers with a promise; the store's interface types it `PromiseLike`.)
  const read = (loop: number) =>
    env.SESSIONS.get(env.SESSIONS.idFromName(names[loop] as string)).read() as Promise<
      SessionObjectRecord | undefined
    >
  let recordBytes = 0
  for (const [i, id] of ids.entries()) {
    const record = await read(i)
    if (record === undefined) throw new Error(`no record in the object of session ${id}`)
    recordBytes = new TextEncoder().encode(record.value).length
  }

  const manager = managerOn(env.SESSIONS, call)
  await timing({ rpcs, stubs, recordBytes })
  const perRound = await interleaveReads(
    call.settings,
    {
      manager: async (loop) => {
        if ((await manager.getAccessToken(ids[loop] as string)) !== tokens[loop]) {
          throw new Error('wrong token')
        }
      },
      raw: read,
    },
    call.concurrency,
  )
  return { rpcs, stubs, recordBytes, perRound }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    if (request.method !== 'POST' || url.pathname !== '/run') {
      return new Response('not found\n', { status: 404 })
    }
    const call = (await request.json()) as DurableObjectBenchCall
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
    const writer = writable.getWriter()
    const encoder = new TextEncoder()
    const send = (line: DurableObjectBenchLine) =>
      writer.write(encoder.encode(`${JSON.stringify(line)}\n`))
    void run(env, call, (counted) => send({ type: 'timing', counted }))
      .then(
        (result) => send({ type: 'result', result }),
        (error: unknown) =>
          send({
            type: 'error',
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      )
      .finally(() => writer.close())
    return new Response(readable, { headers: { 'content-type': 'application/x-ndjson' } })
  },
}
