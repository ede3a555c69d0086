// What the emulator issued, as seen on the wire: a transport wrapper reads every token answer
// and files its tokens per login ("family"), in the order Bolt rotated them. Tokens get short
// names for the failure output: L2r0 is login 2's first refresh token, L2r1 its successor,
// L2a1 the access token issued with L2r1.
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/contracts.js'

/** An access token the emulator issued. */
export interface IssuedAccess {
  family: number
  name: string
  /** By the emulator clock, when it stops working. */
  expiresAt: number
}

/** An `invalid_grant` Bolt answered to a refresh. */
export interface RejectedRefresh {
  token: string
  family: number | undefined
  /** Whether the test had revoked that family when Bolt answered. */
  revoked: boolean
}

export class Ledger {
  /** Login index of each authorization code handed to a manager. */
  readonly loginOfCode = new Map<string, number>()
  /** Refresh tokens issued per family (login index), oldest first. */
  readonly chains = new Map<number, string[]>()
  readonly familyOfRefresh = new Map<string, number>()
  readonly access = new Map<string, IssuedAccess>()
  readonly revoked = new Set<number>()
  readonly rejectedRefreshes: RejectedRefresh[] = []
  private readonly names = new Map<string, string>()
  private lastFamily: number | undefined

  constructor(
    private readonly now: () => number,
    /** Told of every refresh Bolt rejected with `invalid_grant`. */
    private readonly onRejectedRefresh: (rejected: RejectedRefresh) => void,
    /** Told of every 5xx answer (in these runs, only the 503s the test injected). */
    private readonly onServerError: (status: number) => void = () => {},
  ) {}

  /** The newest family Bolt issued tokens for, if any. */
  newestFamily(): number | undefined {
    return this.lastFamily
  }

  /** The newest refresh token of `family`. */
  newestRefresh(family: number): string | undefined {
    return this.chains.get(family)?.at(-1)
  }

  /** A short, stable name for a token or code (`L2r1`, `L2a0`, `code#3`), or a redacted tail. */
  name(token: string | null | undefined): string {
    if (token === null || token === undefined) return '∅'
    return this.names.get(token) ?? `?…${token.slice(-4)}`
  }

  nameCode(code: string, login: number): void {
    this.loginOfCode.set(code, login)
    this.names.set(code, `code#${login}`)
  }

  describeRequest = (request: HttpRequest): string => {
    const form = new URLSearchParams(request.body ?? '')
    return form.get('grant_type') === 'refresh_token'
      ? `refresh(${this.name(form.get('refresh_token'))})`
      : `exchange(${this.name(form.get('code'))})`
  }

  describeResponse = (response: HttpResponse): string => {
    const body = parse(response.body)
    if (response.status === 200) {
      return `200 ${this.name(str(body.access_token))} ${this.name(str(body.refresh_token))}`
    }
    return `${response.status} ${str(body.error) ?? ''}`.trim()
  }

  /** Wraps the transport every manager's requests finally go through. */
  tracking(inner: HttpTransport): HttpTransport {
    return {
      send: async (request) => {
        const response = await inner.send(request)
        this.record(new URLSearchParams(request.body ?? ''), response)
        return response
      },
    }
  }

  private record(form: URLSearchParams, response: HttpResponse): void {
    if (response.status >= 500) this.onServerError(response.status)
    const body = parse(response.body)
    const grantType = form.get('grant_type')
    const presented = form.get('refresh_token') ?? ''
    const family =
      grantType === 'authorization_code'
        ? this.loginOfCode.get(form.get('code') ?? '')
        : this.familyOfRefresh.get(presented)
    if (response.status === 200) {
      const accessToken = str(body.access_token)
      const refreshToken = str(body.refresh_token)
      if (family === undefined || accessToken === undefined || refreshToken === undefined) return
      const chain = this.chains.get(family) ?? []
      this.chains.set(family, chain)
      // A grace re-issue answers the same successor again: file it once.
      if (!this.familyOfRefresh.has(refreshToken)) {
        this.names.set(refreshToken, `L${family}r${chain.length}`)
        this.names.set(accessToken, `L${family}a${chain.length}`)
        chain.push(refreshToken)
        this.familyOfRefresh.set(refreshToken, family)
        const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 0
        this.access.set(accessToken, {
          family,
          name: this.names.get(accessToken) ?? '',
          expiresAt: this.now() + expiresIn * 1000,
        })
      }
      if (grantType === 'authorization_code') this.lastFamily = family
      return
    }
    if (grantType === 'refresh_token' && body.error === 'invalid_grant') {
      const rejected: RejectedRefresh = {
        token: presented,
        family,
        revoked: family !== undefined && this.revoked.has(family),
      }
      this.rejectedRefreshes.push(rejected)
      this.onRejectedRefresh(rejected)
    }
  }
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
