/**
 * How the Redis store runs its scripts on ioredis: by SHA with a fallback to `EVAL`, and, with
 * `replicas`, followed by `WAIT` on the connection that wrote. Errors never carry the command's
 * arguments (the session record). Internal to `bolt-token-lifecycle/redis`.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis'
import { scriptSha } from './redis-protocol.js'

/** The clients the store takes. */
export type Client = Redis | Cluster

/** Runs a script by its SHA (one round trip); loads it with EVAL when the server lacks it. */
export async function evalScript(
  client: Client,
  script: string,
  keys: string[],
  args: (string | number)[],
) {
  try {
    return await client.evalsha(await scriptSha(script), keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw withoutArgs(error)
    return client.eval(script, keys.length, ...keys, ...args).catch((retry: unknown) => {
      throw withoutArgs(retry)
    })
  }
}

/**
 * A compare-and-set followed by `WAIT`, on the connection that wrote: `WAIT` counts the replicas
 * that acknowledged this connection's writes, so it must travel on the same one. A pipeline
 * keeps the commands together: on a standalone (or Sentinel) client that is its one connection,
 * on a `Cluster` the connection to the node of the pipeline's key. `CLIENT ID` before and after
 * proves no reconnect came between (ioredis resends unanswered commands on a new connection,
 * where `WAIT` would count acknowledgements of nothing). Returns the script's answer; throws
 * when it wrote and fewer than `replicas` acknowledged. Never names the value.
 */
export async function evalAndWait(
  client: Client,
  script: string,
  keys: string[],
  args: (string | number)[],
  replicas: number,
  replicaTimeoutMs: number,
): Promise<unknown> {
  const run = async (byHash: boolean) => {
    const pipeline = client.pipeline()
    pipeline.call('CLIENT', 'ID')
    if (byHash) pipeline.evalsha(await scriptSha(script), keys.length, ...keys, ...args)
    else pipeline.eval(script, keys.length, ...keys, ...args)
    pipeline.call('WAIT', replicas, replicaTimeoutMs)
    pipeline.call('CLIENT', 'ID')
    return (await pipeline.exec()) ?? []
  }
  let replies = await run(true)
  const scriptError = replies[1]?.[0]
  if (scriptError instanceof Error && scriptError.message.startsWith('NOSCRIPT')) {
    replies = await run(false)
  }
  const [before, written, acknowledged, after] = replies
  if (written?.[0]) throw withoutArgs(written[0])
  const result = written?.[1]
  // A fenced compare-and-set wrote nothing: nothing to wait for.
  if (result === null || result === undefined) return result
  const sameConnection = before?.[0] == null && after?.[0] == null && before?.[1] === after?.[1]
  const acks = acknowledged?.[0] == null ? Number(acknowledged?.[1]) : 0
  if (sameConnection && acks >= replicas) return result
  const why = !sameConnection
    ? 'the connection changed before WAIT answered'
    : acknowledged?.[0] != null
      ? `WAIT failed (${(acknowledged[0] as Error).message})`
      : `${acks} of ${replicas} replica(s) acknowledged it within ${replicaTimeoutMs} ms`
  throw new Error(
    `Redis accepted the write but did not confirm its replication: ${why}. A failover now may lose it.`,
  )
}

/**
 * ioredis attaches the failed command, arguments included, to its errors: for a write that
 * is the whole session record, tokens and all. Nothing of it may travel on as a `cause`.
 */
export function withoutArgs(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'command' in error) {
    const { name } = (error as { command?: { name?: unknown } }).command ?? {}
    ;(error as { command?: unknown }).command = { name }
  }
  return error
}
