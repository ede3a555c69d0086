/** What the Bolt emulator must have seen after one lifecycle, checked from the parent. */
import type { BoltEmulator, EmulatorStats } from '../../src/emulator/index.js'

/**
 * One smoke lifecycle: two logins, one refresh, no reuse; two reads and two writes allowed.
 * The counters it does not name (ID tokens, idempotent replays, JWKS requests) are not checked.
 */
export const LIFECYCLE_STATS: Partial<EmulatorStats> = {
  tokenRequests: 3,
  codeExchanges: 2,
  refreshes: 1,
  graceReissues: 0,
  reuseDetected: 0,
  invalidGrants: 0,
  invalidClients: 0,
  accountReads: 2,
  accountWrites: 2,
}

/**
 * Everything wrong with what `bolt` saw since its last `resetStats()`, compared with
 * `expected` counters and the token requests of one login → refresh → step-up: an
 * `authorization_code`, a `refresh_token` for `bolt.account.view`, an `authorization_code`,
 * all answered 200, and no refresh token presented twice.
 */
export function emulatorProblems(
  bolt: BoltEmulator,
  expected: Partial<EmulatorStats> = LIFECYCLE_STATS,
): string[] {
  const problems: string[] = []
  const stats = bolt.stats
  for (const [name, value] of Object.entries(expected)) {
    const actual = stats[name as keyof EmulatorStats]
    if (actual !== value) problems.push(`emulator saw ${name} = ${actual}, expected ${value}`)
  }
  const requests = bolt.requests
  const grants = requests.map((request) => request.grantType).join(', ')
  if (grants !== 'authorization_code, refresh_token, authorization_code') {
    problems.push(`emulator saw the grants [${grants}]`)
  }
  for (const request of requests) {
    if (request.status !== 200) {
      problems.push(`emulator answered a ${request.grantType} request with ${request.status}`)
    }
    if (request.grantType === 'refresh_token' && request.scope !== 'bolt.account.view') {
      problems.push(`a refresh asked for scope ${JSON.stringify(request.scope)}`)
    }
  }
  const presented = requests.flatMap((request) => request.refreshTokenHash ?? [])
  if (new Set(presented).size !== presented.length) {
    problems.push('a refresh token was presented twice')
  }
  return problems
}
