/**
 * `refresh.ops`: full refreshes per second against the emulator on loopback (the manager on
 * the memory store and the undici transport), against openid-client 6's `refreshTokenGrant`
 * sending the same request. The same manager on the fetch transport (`refresh.fetch.ops`) is
 * measured beside them: it shows what the lock costs on the same HTTP client openid-client uses.
 *
 * @module
 */
import * as oidc from 'openid-client'
import { createFetchTransport } from '../adapters/http/fetch.js'
import { createUndiciTransport } from '../adapters/http/undici.js'
import { createMemoryStore } from '../adapters/storage/memory.js'
import type { HttpTransport } from '../src/contracts.js'
import { emulatorManagerOptions } from '../src/emulator/manager-options.js'
import { createTokenManager } from '../src/manager/token-manager.js'
import type { Section } from './context.js'
import type { RemoteEmulator } from './emulator.js'
import { heading, int, ratio, table } from './format.js'
import { type Metrics, measured } from './metrics.js'
import { interleave, median, pairedRatios, runLoops } from './rounds.js'
import { logInAll, sessionIds } from './sessions.js'

/** Refresh chains running at once (one session each). */
const CHAINS = 8
/**
 * A token counts as expired this long after it was issued: the skew is its hour less this, so
 * that a clock step of this much before every call makes every call a refresh.
 */
const STALE_AFTER_MS = 1_000
/**
 * The clock steps little (a second a call), and the lease is long: the steps other chains take
 * during one refresh must not look like its lease running out.
 */
const LEASE_MS = 120_000

/** Exchanges a fresh code with a plain form POST and returns the refresh token. */
async function refreshTokenFor(emulator: RemoteEmulator): Promise<string> {
  const response = await fetch(`${emulator.url}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      'x-api-key': emulator.clientSecret,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      grant_type: 'authorization_code',
      code: await emulator.login(),
      scope: 'bolt.account.manage openid',
    }),
  })
  const body = (await response.json()) as { refresh_token?: string }
  if (typeof body.refresh_token !== 'string') throw new Error(`code exchange: ${response.status}`)
  return body.refresh_token
}

/** openid-client configured as a merchant would for Bolt: client_secret_post plus `X-API-Key`. */
function openidClient(emulator: RemoteEmulator): oidc.Configuration {
  const config = new oidc.Configuration(
    { issuer: emulator.url, token_endpoint: `${emulator.url}/v1/oauth/token` },
    emulator.clientId,
    undefined,
    oidc.ClientSecretPost(emulator.clientSecret),
  )
  oidc.allowInsecureRequests(config)
  // The same headers the manager sends: Bolt wants the API key in X-API-Key too.
  config[oidc.customFetch] = (url, options) =>
    fetch(url, {
      ...(options as RequestInit),
      headers: {
        ...(options.headers as Record<string, string>),
        'x-api-key': emulator.clientSecret,
        'x-publishable-key': emulator.clientId,
      },
    })
  return config
}

/** Measures full refreshes per second, the manager against openid-client. */
export const refresh: Section = async ({ settings, emulator }) => {
  heading(`refresh: full refreshes against the emulator (own process, loopback), ${CHAINS} chains`)
  // The managers' clock steps past the token's freshness before every call, so that every
  // call is a real refresh request (checked against the emulator's counter below).
  let offsetMs = 0
  const managerOn = (http: HttpTransport) =>
    createTokenManager({
      ...emulatorManagerOptions(emulator),
      store: createMemoryStore(),
      http,
      clock: () => Date.now() + offsetMs,
      refreshSkewMs: 3_600_000 - STALE_AFTER_MS,
      leaseMs: LEASE_MS,
    })
  const managers = {
    undici: managerOn(createUndiciTransport()),
    fetch: managerOn(createFetchTransport()),
  }
  const ids = sessionIds('refresh', CHAINS)
  const lastTokens = {
    undici: await logInAll(emulator, managers.undici, ids, CHAINS),
    fetch: await logInAll(emulator, managers.fetch, ids, CHAINS),
  }

  const config = openidClient(emulator)
  const refreshTokens = await Promise.all(ids.map(() => refreshTokenFor(emulator)))

  let requestsSent = 0
  const managerOp = (name: keyof typeof managers) => async (loop: number) => {
    offsetMs += STALE_AFTER_MS + 10
    const token = await managers[name].getAccessToken(ids[loop] as string)
    if (token === lastTokens[name][loop]) throw new Error('the manager did not refresh')
    lastTokens[name][loop] = token
    requestsSent++
  }
  const ops = {
    manager: managerOp('undici'),
    managerOnFetch: managerOp('fetch'),
    openid: async (loop: number) => {
      const answer = await oidc.refreshTokenGrant(config, refreshTokens[loop] as string, {
        scope: 'bolt.account.view',
      })
      if (answer.refresh_token === undefined) throw new Error('no refresh_token in the answer')
      refreshTokens[loop] = answer.refresh_token
      requestsSent++
    },
  }
  const slice = (name: keyof typeof ops) => (durationMs: number) =>
    runLoops(ops[name], durationMs, CHAINS)

  const roundMs = 2_000 * settings.scale
  console.log(
    `  ${CHAINS} concurrent chains per variant, each on its own session/refresh token; ` +
      `${settings.rounds} rounds of ${roundMs} ms per variant in alternating ${500 * settings.scale} ms slices`,
  )
  await emulator.resetStats()
  const perRound = await interleave(
    {
      manager: slice('manager'),
      managerOnFetch: slice('managerOnFetch'),
      openid: slice('openid'),
    },
    {
      rounds: settings.rounds,
      roundMs,
      sliceMs: 500 * settings.scale,
      warmupMs: 500 * settings.scale,
    },
  )
  const stats = await emulator.stats()
  if (stats.refreshes !== requestsSent || stats.tokenRequests !== requestsSent) {
    throw new Error(
      `the emulator saw ${stats.tokenRequests} token requests and ${stats.refreshes} refreshes for ${requestsSent} refresh calls`,
    )
  }
  console.log(
    `  the emulator rotated ${int(stats.refreshes)} refresh tokens for ${int(requestsSent)} calls, ${stats.invalidGrants} invalid_grant`,
  )

  const vsOpenid = pairedRatios(perRound.manager, perRound.openid)
  const fetchVsOpenid = pairedRatios(perRound.managerOnFetch, perRound.openid)
  const rows = perRound.manager.map((value, round) => [
    String(round + 1),
    int(value),
    int(perRound.managerOnFetch[round] as number),
    int(perRound.openid[round] as number),
    ratio(vsOpenid[round] as number),
    ratio(fetchVsOpenid[round] as number),
  ])
  rows.push([
    'median',
    int(median(perRound.manager)),
    int(median(perRound.managerOnFetch)),
    int(median(perRound.openid)),
    ratio(median(vsOpenid)),
    ratio(median(fetchVsOpenid)),
  ])
  console.log(
    table(
      [
        'round',
        'manager (undici) /s',
        'manager (fetch) /s',
        'openid-client /s',
        'undici/openid',
        'fetch/openid',
      ],
      rows,
    ),
  )

  const shape = `${CHAINS} concurrent chains, emulator in its own process on loopback, median of ${settings.rounds} interleaved rounds`
  const metrics: Metrics = {
    'refresh.ops': measured(
      median(perRound.manager),
      'refreshes/s',
      `getAccessToken on an expired session (memory store, undici transport): state to refresh, POST, rotation saved; ${shape}`,
    ),
    'refresh.fetch.ops': measured(
      median(perRound.managerOnFetch),
      'refreshes/s',
      `the same on the fetch transport (the HTTP client openid-client uses); ${shape}`,
    ),
    'peer.openid-client.refresh.ops': measured(
      median(perRound.openid),
      'refreshes/s',
      `openid-client refreshTokenGrant (client_secret_post, X-API-Key via customFetch), chaining the rotated refresh token; ${shape}`,
    ),
    'refresh.vs-openid-client': measured(
      median(vsOpenid),
      '×',
      `refresh.ops / peer.openid-client.refresh.ops, median of per-round ratios (${vsOpenid.map((r) => r.toFixed(3)).join(' ')})`,
    ),
    'refresh.fetch.vs-openid-client': measured(
      median(fetchVsOpenid),
      '×',
      `refresh.fetch.ops / peer.openid-client.refresh.ops, median of per-round ratios (${fetchVsOpenid.map((r) => r.toFixed(3)).join(' ')})`,
    ),
  }
  return metrics
}
