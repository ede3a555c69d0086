/**
 * `createTokenManager`: the public face of bolt-token-lifecycle.
 *
 * @module
 */
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { BoltTokenError } from '../errors.js'
import { createIdentityReader } from '../identity/identity.js'
import type { TokenState } from '../machine/token-machine.js'
import {
  canManage,
  DEFAULT_EXCHANGE_SCOPE,
  SCOPE_MANAGE,
  SCOPE_VIEW,
  type TokenSet,
} from '../machine/token-set.js'
import { createTokenEndpoint } from '../oauth/token-endpoint.js'
import { Secret } from '../secret.js'
import { constantTimeEqual } from './constant-time.js'
import { registerCredentials } from './credentials.js'
import { stateAt } from './decide.js'
import { createHealthCheck } from './health.js'
import { createInterpreter } from './interpreter.js'
import { createLifecycleEmitter } from './lifecycle-events.js'
import { log, logLifecycleEvent } from './logger.js'
import { createMetricsRecorder, type MeteredOperation } from './metrics-recorder.js'
import { resolveOptions, type TokenManagerOptions } from './options.js'
import { createRequestGate } from './request-gate.js'
import type { AccessTokenOptions, SessionStatus, TokenManager } from './token-manager-types.js'

export type { BoltHealth, HealthCheckOptions, HealthReport, StoreHealth } from './health.js'
export type {
  AccessTokenOptions,
  ExchangeCodeInput,
  LifecycleListener,
  SessionStatus,
  TokenManager,
} from './token-manager-types.js'

function requireSessionId(sessionId: unknown): asserts sessionId is string {
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 512) {
    throw new BoltTokenError(
      'INVALID_ARGUMENT',
      'sessionId must be a non-empty string of at most 512 characters (your own session identifier).',
    )
  }
}

function statusOf(
  state: TokenState,
  tokens: TokenSet | null,
  lastError: SessionStatus['lastError'],
): SessionStatus {
  return {
    state,
    scopes: tokens === null ? [] : [...tokens.scopes],
    expiresAt: tokens === null ? null : tokens.expiresAt,
    canManage: state === 'fullyScoped' && tokens !== null && canManage(tokens),
    lastError: lastError === null ? null : { code: lastError.code, message: lastError.message },
  }
}

/**
 * Creates a token manager.
 *
 * @example
 * ```ts
 * import { createTokenManager } from 'bolt-token-lifecycle'
 *
 * const tokens = createTokenManager({
 *   clientId: process.env.BOLT_PUBLISHABLE_KEY!,
 *   clientSecret: process.env.BOLT_API_KEY!,
 * })
 * await tokens.exchangeCode(req.session.id, { code: req.body.code })
 * const accessToken = await tokens.getAccessToken(req.session.id)
 * ```
 * @throws {BoltTokenError} `INVALID_ARGUMENT` naming the option that is wrong.
 * @group Token manager
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const resolved = resolveOptions(options, {
    store: () => createMemoryStore(),
    http: () => createFetchTransport(),
  })
  const lifecycle = createLifecycleEmitter((event) => logLifecycleEvent(resolved.logger, event))
  const gate = createRequestGate(resolved.maxRefreshesInFlight)
  const metrics =
    resolved.meter === undefined
      ? undefined
      : createMetricsRecorder(resolved.meter.meter, resolved.meter.ready, gate)
  if (metrics !== undefined) lifecycle.subscribe(metrics.record)
  /** Counts a rejection of `operation` (store errors, SCOPE_REQUIRED) and rethrows it. */
  const countRejection =
    (operation: MeteredOperation) =>
    (error: unknown): never => {
      metrics?.rejected(operation, error)
      throw error
    }
  /** `method`, with its rejections counted when metrics are on. */
  const metered = <A extends unknown[], R>(
    operation: MeteredOperation,
    method: (...args: A) => Promise<R>,
  ): ((...args: A) => Promise<R>) => {
    if (metrics === undefined) return method
    const onRejected = countRejection(operation)
    return (...args) => method(...args).then(undefined, onRejected)
  }
  const interpreter = createInterpreter({
    options: resolved,
    endpoint: createTokenEndpoint({
      ...resolved,
      onRetry: (attempt, error, delayMs) =>
        log(
          resolved.logger,
          'info',
          { attempt, code: error.code, status: error.status, delayMs },
          'retrying a token request',
        ),
      // Bolt asked this instance to slow down: every refresh waits, not only this one.
      onPushback: (retryAfterMs) => gate.pause(retryAfterMs),
    }),
    owner: globalThis.crypto.randomUUID(),
    emit: lifecycle.emit,
    gate,
    onRejected: metrics === undefined ? undefined : countRejection('getAccessToken'),
  })
  const { clock, refreshSkewMs } = resolved
  const identityOf = createIdentityReader({
    baseUrl: resolved.baseUrl,
    clientId: resolved.clientId,
    clock,
    options: resolved.identity,
  })

  function checkAccessRequest(
    sessionId: string,
    accessOptions: AccessTokenOptions | undefined,
  ): boolean {
    requireSessionId(sessionId)
    if (accessOptions === undefined) return false
    const wanted = accessOptions.scope
    const rejected = accessOptions.rejectedToken
    if (rejected !== undefined && (typeof rejected !== 'string' || rejected.length === 0)) {
      throw new BoltTokenError(
        'INVALID_ARGUMENT',
        'getAccessToken: rejectedToken must be the non-empty access token Bolt refused.',
      )
    }
    if (wanted !== undefined && wanted !== SCOPE_MANAGE && wanted !== SCOPE_VIEW) {
      throw new BoltTokenError(
        'INVALID_ARGUMENT',
        `getAccessToken: scope must be '${SCOPE_MANAGE}' or '${SCOPE_VIEW}'.`,
      )
    }
    return wanted === SCOPE_MANAGE
  }

  function getAccessToken(sessionId: string, accessOptions?: AccessTokenOptions): Promise<string> {
    let wantsManage: boolean
    try {
      wantsManage = checkAccessRequest(sessionId, accessOptions)
    } catch (error) {
      return Promise.reject(error)
    }
    const rejected = accessOptions?.rejectedToken
    if (rejected !== undefined) return replaceRejected(sessionId, rejected, wantsManage)
    // Its rejections are counted inside, off the synchronous valid-token path.
    return interpreter.accessToken(sessionId, wantsManage)
  }
  const replaceRejected = metered('getAccessToken', interpreter.replaceRejected)

  const manager: TokenManager = {
    baseUrl: resolved.baseUrl,

    exchangeCode: metered('exchangeCode', async (sessionId, input) => {
      requireSessionId(sessionId)
      if (
        typeof input !== 'object' ||
        input === null ||
        typeof input.code !== 'string' ||
        input.code.length === 0
      ) {
        throw new BoltTokenError(
          'INVALID_ARGUMENT',
          'exchangeCode: `code` must be the non-empty authorization code from the login modal.',
        )
      }
      const { code, state, expectedState, scope = DEFAULT_EXCHANGE_SCOPE } = input
      if (state !== undefined && typeof state !== 'string') {
        throw new BoltTokenError('INVALID_ARGUMENT', 'exchangeCode: `state` must be a string.')
      }
      // An `expectedState` key turns the check on even when its value is missing (a session
      // that was issued no state): then, as with '', nothing matches.
      if ('expectedState' in input) {
        if (
          typeof state !== 'string' ||
          typeof expectedState !== 'string' ||
          expectedState.length === 0 ||
          !constantTimeEqual(state, expectedState)
        ) {
          throw new BoltTokenError(
            'STATE_MISMATCH',
            'The login modal returned a `state` that does not match the one issued for this login (or none). The code was not used; refuse this login, it may be a CSRF attempt.',
          )
        }
      }
      if (typeof scope !== 'string' || scope.trim().length === 0) {
        throw new BoltTokenError(
          'INVALID_ARGUMENT',
          'exchangeCode: `scope` must be a non-empty, space-separated scope string.',
        )
      }
      const stored = await interpreter.exchange(sessionId, new Secret(code), scope, state)
      const { context } = stored.snapshot
      return statusOf(stored.snapshot.value as TokenState, context.tokens, context.lastError)
    }),

    getAccessToken,

    getStatus: metered('getStatus', async (sessionId) => {
      requireSessionId(sessionId)
      const { snapshot } = await interpreter.load(sessionId)
      const { tokens, lastError } = snapshot.context
      const state = stateAt(snapshot.value as TokenState, tokens, clock(), refreshSkewMs)
      return statusOf(state, tokens, lastError)
    }),

    getIdentity: metered('getIdentity', async (sessionId) => {
      requireSessionId(sessionId)
      const { snapshot } = await interpreter.load(sessionId)
      if (snapshot.value === 'unauthenticated') return null
      return identityOf(snapshot.context.tokens)
    }),

    logout: metered('logout', async (sessionId) => {
      requireSessionId(sessionId)
      await interpreter.logout(sessionId)
    }),

    subscribe: lifecycle.subscribe,

    checkHealth: createHealthCheck(resolved),
  }
  registerCredentials(manager, { clientId: resolved.clientId, apiKey: resolved.clientSecret })
  return manager
}
