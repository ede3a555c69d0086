/**
 * The targets. Comparisons between variants are judged on the median of the
 * per-round ratios (the variants ran in alternating slices of the same rounds), not on a
 * ratio of medians taken at different moments.
 *
 * @module
 */
import {
  bound,
  type Metrics,
  metricValue,
  ratioAtLeast,
  reference,
  type Target,
} from './metrics.js'

function plus(name: string, addend: number): (metrics: Metrics) => number | null {
  const value = metricValue(name)
  return (metrics) => {
    const base = value(metrics)
    return base === null ? null : base + addend
  }
}

/** Every target, in the order of the table. */
export const TARGETS: readonly Target[] = [
  ratioAtLeast(
    'memory.hit.ops',
    'memory.hit.vs-google-auth-library',
    1,
    '≥ peer.google-auth-library.hit.ops',
  ),
  reference('memory.hit.baseline.ops', '(the limit)'),
  reference('peer.google-auth-library.hit.ops'),
  bound('redis.hit.commands', '=', 1, '1'),
  ratioAtLeast('redis.hit.ops', 'redis.hit.vs-raw-get', 0.9, '≥ 0.9 × redis.raw-get.ops'),
  reference('redis.raw-get.ops'),
  bound('upstash.hit.requests', '=', 1, '1'),
  ratioAtLeast('upstash.hit.ops', 'upstash.hit.vs-raw-get', 0.9, '≥ 0.9 × upstash.raw-get.ops'),
  reference('upstash.raw-get.ops'),
  bound('deno-kv.hit.reads', '=', 1, '1'),
  ratioAtLeast('deno-kv.hit.ops', 'deno-kv.hit.vs-raw-get', 0.9, '≥ 0.9 × deno-kv.raw-get.ops'),
  reference('deno-kv.raw-get.ops'),
  bound('postgres.hit.queries', '=', 1, '1'),
  ratioAtLeast(
    'postgres.hit.ops',
    'postgres.hit.vs-raw-select',
    0.9,
    '≥ 0.9 × postgres.raw-select.ops',
  ),
  reference('postgres.raw-select.ops'),
  bound('durable-object.hit.rpcs', '=', 1, '1'),
  ratioAtLeast(
    'durable-object.hit.ops',
    'durable-object.hit.vs-raw-read',
    0.9,
    '≥ 0.9 × durable-object.raw-read.ops',
  ),
  reference('durable-object.raw-read.ops'),
  ratioAtLeast('refresh.ops', 'refresh.vs-openid-client', 1, '≥ peer.openid-client.refresh.ops'),
  reference('peer.openid-client.refresh.ops'),
  reference('refresh.fetch.ops'),
  bound('stampede.refreshes', '=', 1, '1'),
  bound(
    'stampede.p99-ms',
    '≤',
    plus('stampede.refresh-latency-ms', 50),
    '≤ refresh latency + 50 ms',
  ),
  reference('peer.naive.stampede.invalid-grants', '(what users suffer today)'),
  bound('herd.drain.vs-allowed', '≥', 0.9, '≥ 0.9 × the allowed rate'),
  reference('herd.drain.ops'),
  reference('herd.p99-wait-ms'),
  bound('herd.failed-callers', '=', 0, '0'),
  bound('memory.bytes-per-session', '≤', 1_024, '≤ 1 024'),
  bound('memory.hit.slow-path-calls', '=', 0, '0 (no XState, JSON.parse or HTTP)'),
]
