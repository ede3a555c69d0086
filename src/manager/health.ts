/**
 * `tokens.checkHealth()`: whether the session store answers and Bolt's token endpoint is
 * reachable, for a readiness probe. Each check is one bounded round trip; the Bolt check
 * sends no credentials and no grant, so it spends nothing and reveals nothing.
 *
 * @module
 */
import type { HttpTransport, TokenStore } from '../contracts.js'
import { BoltTokenError } from '../errors.js'
import { tokenEndpointUrl } from '../oauth/token-request.js'

/**
 * Options of {@link TokenManager.checkHealth}.
 * @group Token manager
 */
export interface HealthCheckOptions {
  /**
   * How long each check (the store's, Bolt's; they run at once) may take, in milliseconds.
   * Below Kubernetes' default probe timeout of one second.
   * @default 800
   */
  timeoutMs?: number
}

/**
 * How the session store answered the health check's read.
 * @group Token manager
 */
export interface StoreHealth {
  /** The store answered a read within the deadline. */
  ok: boolean
  /** How long the read took, or how long it was waited for, in milliseconds. */
  latencyMs: number
  /** Why not: the store failed the read, or did not answer in time. */
  error?: 'STORE_UNAVAILABLE'
}

/**
 * How Bolt's token endpoint answered the health check's request.
 * @group Token manager
 */
export interface BoltHealth {
  /**
   * Bolt's token endpoint answered as it does to a request without credentials: a `400`,
   * `401`, `403` or `422` with an OAuth error body (`{ "error": … }`, or Bolt's `.tag`
   * form), or a `429`.
   */
  ok: boolean
  /** From sending the request to the end of the answer, in milliseconds. */
  latencyMs: number
  /** The HTTP status of the answer, when there was one. */
  status?: number
  /**
   * Why not: no answer (`NETWORK_ERROR`), not in time (`TIMEOUT`), a `5xx` (`SERVER_ERROR`),
   * or an answer that is not the token endpoint's, such as a `404` (`INVALID_RESPONSE`: check
   * `baseUrl` and `tokenPath`).
   */
  error?: 'NETWORK_ERROR' | 'TIMEOUT' | 'SERVER_ERROR' | 'INVALID_RESPONSE'
}

/**
 * What {@link TokenManager.checkHealth} answers: secret-free codes and figures, fit for a
 * readiness endpoint's body.
 * @group Token manager
 */
export interface HealthReport {
  /** Both checks passed. */
  ok: boolean
  /** The store's answer to one read. */
  store: StoreHealth
  /** Bolt's token endpoint's answer to one request that spends no grant. */
  bolt: BoltHealth
}

/** The default of {@link HealthCheckOptions.timeoutMs}. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 800

/**
 * The key the store check reads: 43 base64url characters like a session's key, and never
 * written, so the read answers "absent". (A session's key is an HMAC: it cannot be this.)
 */
export const HEALTH_CHECK_KEY = 'bolt-token-lifecycle-health-check-probe-key'

/** The statuses of Bolt's refusals (its v1 spec lists 400, 403 and 422; 401 is the usual one). */
const REFUSALS = new Set([400, 401, 403, 422])

/** Bolt's error answers are small; a larger body is not one. */
const MAX_ANSWER_BYTES = 16 * 1024

/** What a health check needs of the manager. */
export interface HealthCheckDeps {
  store: TokenStore
  http: HttpTransport
  baseUrl: string
  tokenPath: string
}

const elapsedSince = (started: number) => Math.round(performance.now() - started)

/** One read of {@link HEALTH_CHECK_KEY}, given up on after `timeoutMs`. */
async function checkStore(store: TokenStore, timeoutMs: number): Promise<StoreHealth> {
  const started = performance.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
  })
  try {
    const answered = await Promise.race([
      Promise.resolve()
        .then(() => store.get(HEALTH_CHECK_KEY))
        .then(() => true as const),
      late,
    ])
    const latencyMs = elapsedSince(started)
    return answered ? { ok: true, latencyMs } : { ok: false, latencyMs, error: 'STORE_UNAVAILABLE' }
  } catch {
    return { ok: false, latencyMs: elapsedSince(started), error: 'STORE_UNAVAILABLE' }
  } finally {
    clearTimeout(timer)
  }
}

/** Whether `body` is an error answer as Bolt writes them: OAuth's `error`, or Bolt's `.tag`. */
function isErrorBody(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed !== 'object' || parsed === null) return false
    const { error, '.tag': tag } = parsed as Record<string, unknown>
    return typeof error === 'string' || typeof tag === 'string'
  } catch {
    return false
  }
}

/** One credential-less, grant-less `POST` to the token endpoint, aborted after `timeoutMs`. */
async function checkBolt(deps: HealthCheckDeps, timeoutMs: number): Promise<BoltHealth> {
  const started = performance.now()
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), timeoutMs)
  try {
    const answer = await deps.http.send({
      method: 'POST',
      url: tokenEndpointUrl(deps.baseUrl, deps.tokenPath),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: '',
      signal: deadline.signal,
      maxBodyBytes: MAX_ANSWER_BYTES,
    })
    const latencyMs = elapsedSince(started)
    const { status } = answer
    if (status >= 500) return { ok: false, latencyMs, status, error: 'SERVER_ERROR' }
    if (status === 429 || (REFUSALS.has(status) && isErrorBody(answer.body))) {
      return { ok: true, latencyMs, status }
    }
    return { ok: false, latencyMs, status, error: 'INVALID_RESPONSE' }
  } catch (thrown) {
    const latencyMs = elapsedSince(started)
    if (deadline.signal.aborted) return { ok: false, latencyMs, error: 'TIMEOUT' }
    const tooLarge = (thrown as { name?: unknown } | null)?.name === 'ResponseTooLargeError'
    return { ok: false, latencyMs, error: tooLarge ? 'INVALID_RESPONSE' : 'NETWORK_ERROR' }
  } finally {
    clearTimeout(timer)
  }
}

/** Creates a manager's `checkHealth`. */
export function createHealthCheck(
  deps: HealthCheckDeps,
): (options?: HealthCheckOptions) => Promise<HealthReport> {
  return async (options = {}) => {
    const timeoutMs = options?.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new BoltTokenError(
        'INVALID_ARGUMENT',
        'checkHealth: timeoutMs must be a positive finite number of milliseconds.',
      )
    }
    const [store, bolt] = await Promise.all([
      checkStore(deps.store, timeoutMs),
      checkBolt(deps, timeoutMs),
    ])
    return { ok: store.ok && bolt.ok, store, bolt }
  }
}
