/**
 * `memory.hit.*`: `getAccessToken` on valid tokens from the memory store, against a bare
 * async Map lookup (the limit) and google-auth-library's cached `getAccessToken()`.
 *
 * @module
 */

import { OAuth2Client } from 'google-auth-library'
import { createMemoryStore } from '../adapters/storage/memory.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import type { StoredTokenSet } from '../src/machine/token-set.js'
import { deriveStoreKey } from '../src/manager/store-keys.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import type { Section } from './context.js'
import { heading, int, ratio, table } from './format.js'
import { probeSlowPath, type SlowPathCalls, totalCalls } from './hot-path-probe.js'
import { type Metrics, measured } from './metrics.js'
import { interleave, median, pairedRatios, runSequential } from './rounds.js'
import { logInAll, sessionIds } from './sessions.js'

const SESSIONS = 1_000
const SKEW_MS = 60_000

/** Measures the valid-token read on the memory store and its two comparisons. */
export const memoryHit: Section = async ({ settings, emulator }) => {
  heading(`memory.hit: valid-token reads, ${int(SESSIONS)} sessions, memory store`)
  const store = createMemoryStore()
  const manager = createTokenManager({ ...emulatorManagerOptions(emulator), store })
  const ids = sessionIds('hit', SESSIONS)
  const tokens = await logInAll(emulator, manager, ids)

  // The same sessions, held as each alternative would hold them.
  const stored = await Promise.all(
    ids.map((id) => store.get(deriveStoreKey(emulator.clientSecret, id))),
  )
  const tokenSets = stored.map((entry) => {
    const record = JSON.parse(entry?.value ?? 'null') as { context: { tokens: StoredTokenSet } }
    return record.context.tokens
  })
  const baseline = new Map<string, { accessToken: string; expiresAt: number }>()
  // A backend finds a session's client by the session id, as the manager finds its record.
  const clients = new Map<string, OAuth2Client>()
  for (const [i, id] of ids.entries()) {
    const set = tokenSets[i] as StoredTokenSet
    baseline.set(id, { accessToken: set.accessToken, expiresAt: set.expiresAt })
    const client = new OAuth2Client({
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
    })
    client.setCredentials({
      access_token: set.accessToken,
      refresh_token: set.refreshToken,
      expiry_date: set.expiresAt,
      token_type: 'Bearer',
    })
    clients.set(id, client)
  }
  const baselineGet = async (id: string): Promise<string> => {
    const entry = baseline.get(id)
    if (entry === undefined || entry.expiresAt - SKEW_MS <= Date.now()) throw new Error('expired')
    return entry.accessToken
  }

  // Every variant must hand out the right token before it is timed.
  for (const [i, id] of ids.entries()) {
    const expected = tokens[i]
    const fromClient = (await (clients.get(id) as OAuth2Client).getAccessToken()).token
    if (
      (await manager.getAccessToken(id)) !== expected ||
      (await baselineGet(id)) !== expected ||
      fromClient !== expected
    ) {
      throw new Error(`session ${i}: the variants disagree on the access token`)
    }
  }

  // The valid-token path must not run the machine, parse JSON or send a request; the probe is
  // shown to work on a login first (which does all three).
  const onLogin = await probeSlowPath(async () => {
    await manager.exchangeCode('probe', { code: await emulator.login() })
  })
  const onReads = await probeSlowPath(async () => {
    for (const [i, id] of ids.entries()) {
      if ((await manager.getAccessToken(id)) !== tokens[i]) throw new Error('wrong token')
    }
  })
  const describe = (calls: SlowPathCalls) =>
    `${calls.xstate} XState, ${calls.jsonParse} JSON.parse, ${calls.fetch} fetch`
  console.log(
    `  slow-path calls in ${int(SESSIONS)} valid-token reads (after one read each): ${describe(onReads)} ` +
      `(the same probe during one login: ${describe(onLogin)})`,
  )
  if (totalCalls(onLogin) === 0) throw new Error('the slow-path probe saw nothing during a login')

  const cursors = { manager: 0, baseline: 0, google: 0 }
  const ops = {
    manager: (i: number) => manager.getAccessToken(ids[i % SESSIONS] as string),
    baseline: (i: number) => baselineGet(ids[i % SESSIONS] as string),
    google: (i: number) =>
      (clients.get(ids[i % SESSIONS] as string) as OAuth2Client).getAccessToken(),
  }
  const slice = (name: keyof typeof ops) => async (durationMs: number) => {
    const result = await runSequential(ops[name], durationMs, cursors[name])
    cursors[name] += result.ops
    return result
  }
  const roundMs = 1_000 * settings.scale
  console.log(
    `  one loop awaiting each call, rotating through ${int(SESSIONS)} sessions; ${settings.rounds} rounds of ` +
      `${roundMs} ms per variant in alternating ${200 * settings.scale} ms slices`,
  )
  const perRound = await interleave(
    { manager: slice('manager'), baseline: slice('baseline'), google: slice('google') },
    {
      rounds: settings.rounds,
      roundMs,
      sliceMs: 200 * settings.scale,
      warmupMs: 500 * settings.scale,
    },
  )
  const vsGoogle = pairedRatios(perRound.manager, perRound.google)
  const vsBaseline = pairedRatios(perRound.manager, perRound.baseline)
  const rows = perRound.manager.map((value, round) => [
    String(round + 1),
    int(value),
    int(perRound.baseline[round] as number),
    int(perRound.google[round] as number),
    ratio(vsGoogle[round] as number),
    ratio(vsBaseline[round] as number),
  ])
  rows.push([
    'median',
    int(median(perRound.manager)),
    int(median(perRound.baseline)),
    int(median(perRound.google)),
    ratio(median(vsGoogle)),
    ratio(median(vsBaseline)),
  ])
  console.log(
    table(
      ['round', 'manager ops/s', 'bare Map ops/s', 'google-auth ops/s', 'mgr/google', 'mgr/Map'],
      rows,
    ),
  )

  const shape = `${int(SESSIONS)} sessions, one sequential loop, median of ${settings.rounds} interleaved rounds`
  const metrics: Metrics = {
    'memory.hit.ops': measured(
      median(perRound.manager),
      'ops/s',
      `getAccessToken(sessionId) on valid tokens, memory store; ${shape}`,
    ),
    'memory.hit.baseline.ops': measured(
      median(perRound.baseline),
      'ops/s',
      `a bare async Map lookup + expiry check; ${shape}`,
    ),
    'peer.google-auth-library.hit.ops': measured(
      median(perRound.google),
      'ops/s',
      `google-auth-library OAuth2Client.getAccessToken() with cached credentials, one client per session found by session id in a Map; ${shape}`,
    ),
    'memory.hit.vs-google-auth-library': measured(
      median(vsGoogle),
      '×',
      `memory.hit.ops / peer.google-auth-library.hit.ops, median of per-round ratios (${vsGoogle.map((r) => r.toFixed(2)).join(' ')})`,
    ),
    'memory.hit.slow-path-calls': measured(
      totalCalls(onReads),
      'calls',
      `XState machine calls, JSON.parse and fetch during ${int(SESSIONS)} valid-token reads (${describe(onReads)}); the same probe saw ${describe(onLogin)} during one login`,
    ),
    'memory.hit.vs-baseline': measured(
      median(vsBaseline),
      '×',
      `memory.hit.ops / memory.hit.baseline.ops, median of per-round ratios (${vsBaseline.map((r) => r.toFixed(2)).join(' ')})`,
    ),
  }
  return metrics
}
