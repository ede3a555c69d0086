import { checkShopperProfile, createAccountStore, snapshotAccount } from './accounts.js'
import { createEmulatorClock } from './clock.js'
import { createFaultQueue } from './fault-queue.js'
import { parseFault, resolveFaultOptions } from './faults.js'
import { createIdempotencyRecords } from './idempotency.js'
import { resolveOptions, resolveRateLimit } from './options.js'
import { createRateLimiter } from './rate-limit.js'
import { BOLT_SCOPES, parseScopes } from './scopes.js'
import { startServer } from './server.js'
import { createSigningKeyRing } from './signing-keys.js'
import { createRequestLog, zeroStats } from './stats.js'
import { createTokenAuthority } from './token-grants.js'
import type {
  BoltEmulator,
  BoltEmulatorOptions,
  LoginOptions,
  LoginResult,
  ShopperProfile,
} from './types.js'

const DEFAULT_LOGIN_SCOPE = 'bolt.account.manage bolt.account.view openid'

/**
 * Starts a Bolt emulator: a real HTTP server with Bolt's token endpoint, discovery document,
 * JWKS, Account API and a control API, for tests, demos and merchants' integration tests.
 * Point a client's base URL at {@link BoltEmulator.url}.
 *
 * @throws {TypeError} when an option is invalid (the message names it).
 *
 * @example
 * const bolt = await startBoltEmulator()
 * const { code } = bolt.login()
 * const response = await fetch(`${bolt.url}/v1/oauth/token`, {
 *   method: 'POST',
 *   headers: { 'X-API-Key': bolt.clientSecret },
 *   body: new URLSearchParams({
 *     client_id: bolt.clientId,
 *     client_secret: bolt.clientSecret,
 *     grant_type: 'authorization_code',
 *     code,
 *     scope: 'bolt.account.manage openid',
 *   }),
 * })
 * await bolt.close()
 * @group Emulator
 */
export async function startBoltEmulator(options: BoltEmulatorOptions = {}): Promise<BoltEmulator> {
  const config = resolveOptions(options)
  const clock = createEmulatorClock(config.now)
  const stats = zeroStats()
  const log = createRequestLog()
  const accounts = createAccountStore()
  const faultQueue = createFaultQueue()
  const signingKeys = await createSigningKeyRing()
  let jwksAvailable = true
  let url = ''
  const idTokenIssuer = () => config.idTokenIssuer ?? url
  const authority = createTokenAuthority({
    clock,
    stats,
    idTokenIssuer,
    idTokenKid: config.idTokenKid,
    signingKeys,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    codeTtlSeconds: config.codeTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    refreshGraceMs: config.refreshGraceMs,
    reuseRevokesFamily: config.reuseRevokesFamily,
  })

  let emulator: BoltEmulator | undefined
  let rateLimiter = config.rateLimit === false ? undefined : createRateLimiter(config.rateLimit)
  const server = await startServer(
    {
      authority,
      accounts,
      idempotency: createIdempotencyRecords(),
      stats,
      clock,
      faults: faultQueue,
      log,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      baseUrl: () => url,
      signingKeys,
      jwksAvailable: () => jwksAvailable,
      emulator: () => emulator as BoltEmulator,
      rateLimiter: () => rateLimiter,
    },
    config.port,
    config.host,
  )
  url = formatUrl(config.host, server.port)

  emulator = {
    url,
    port: server.port,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    issuer: url,
    idTokenIssuer: idTokenIssuer(),
    now: () => clock.now(),
    advanceClock(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms)) {
        throw new TypeError('ms must be a finite number')
      }
      clock.advance(ms)
    },
    setRateLimit(limit) {
      rateLimiter = limit === false ? undefined : createRateLimiter(resolveRateLimit(limit))
    },
    login(loginOptions = {}) {
      const { profile, state, scopes } = resolveLogin(loginOptions)
      const account = accounts.ensure(profile)
      const code = authority.issueCode({
        account,
        scopes,
        ...(state === undefined ? {} : { state }),
      })
      const result: LoginResult = { code }
      if (state !== undefined) result.state = state
      return result
    },
    shopper(email = 'shopper@example.com') {
      const account = accounts.findByEmail(email)
      return account === undefined ? undefined : snapshotAccount(account)
    },
    jwks: () => signingKeys.jwks(),
    rotateSigningKey: () => signingKeys.rotate(),
    setJwksAvailable(available) {
      if (typeof available !== 'boolean') throw new TypeError('available must be a boolean')
      jwksAvailable = available
    },
    injectFault(fault, faultOptions) {
      const { times, route } = resolveFaultOptions(faultOptions)
      faultQueue.push(parseFault(fault), times, route)
    },
    clearFaults: () => faultQueue.clear(),
    get stats() {
      return { ...stats }
    },
    get requests() {
      return log.snapshot()
    },
    revokeSession(token) {
      if (typeof token !== 'string' || !authority.revokeFamilyOf(token)) {
        throw new Error('revokeSession: the emulator never issued that token')
      }
    },
    resetStats() {
      Object.assign(stats, zeroStats())
      log.clear()
    },
    close: () => server.close(),
  }
  return emulator
}

function resolveLogin(options: LoginOptions) {
  const { state, scope = DEFAULT_LOGIN_SCOPE, ...profile } = options
  checkShopperProfile(profile)
  if (state !== undefined && (typeof state !== 'string' || state === '')) {
    throw new TypeError('state must be a non-empty string')
  }
  const scopes = typeof scope === 'string' ? parseScopes(scope) : 'unknown'
  if (typeof scopes === 'string') {
    throw new TypeError(`scope must be space-separated scopes from: ${BOLT_SCOPES.join(', ')}`)
  }
  return { profile: profile as ShopperProfile, state, scopes }
}

function formatUrl(host: string, port: number): string {
  const hostname = host.includes(':') ? `[${host}]` : host
  return `http://${hostname}:${port}`
}
