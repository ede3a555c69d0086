/**
 * A deliberately small session helper for the framework examples: a random session id in an
 * HttpOnly cookie, and an in-memory map holding the login `state` issued to each session.
 *
 * It uses Web APIs only, so the same helper runs on Node, Bun, Deno and workerd. The map lives
 * in one process (or isolate); in production keep sessions where every instance sees them.
 *
 * In your app, use the session library you already have (express-session, @fastify/session,
 * a Hono session middleware…). All bolt-token-lifecycle needs is a stable, unguessable id per
 * shopper session, and a place to keep the `state` you issued before opening the login modal.
 */
import { BoltTokenError } from 'bolt-token-lifecycle'

/** Options of {@link createSessions}. */
export interface SessionOptions {
  /** @default 'sid' */
  cookieName?: string
  /** Adds the `Secure` cookie attribute; turn it on behind HTTPS. @default false */
  secure?: boolean
}

/** The session helper the examples share. */
export interface Sessions {
  /** The session named by the `Cookie` header, if it is one we issued and still hold. */
  get(cookieHeader: string | undefined): string | undefined
  /** Like {@link Sessions.get}, but without a session the shopper must log in: `NOT_AUTHENTICATED`. */
  require(cookieHeader: string | undefined): string
  /** The current session, or a new one with the `Set-Cookie` value that names it. */
  start(cookieHeader: string | undefined): { id: string; setCookie?: string }
  /** Issues a fresh random `state` for the next login modal of this session. */
  newLoginState(id: string): string
  /**
   * The `state` last issued to this session, which it forgets: a state is used once, whatever
   * the outcome, so a double-submitted callback never sends Bolt the same code twice (Bolt
   * revokes the tokens of a code presented again).
   */
  takeLoginState(id: string): string | undefined
  /** Forgets the session; returns the `Set-Cookie` value that clears the cookie. */
  destroy(id: string): string
}

/** 32 random bytes, base64url: unguessable session ids and login states (Web Crypto: any runtime). */
function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(';') ?? []) {
    const separator = pair.indexOf('=')
    if (separator !== -1 && pair.slice(0, separator).trim() === name) {
      return pair.slice(separator + 1).trim()
    }
  }
  return undefined
}

/** Creates an in-memory session helper (one per app instance). */
export function createSessions(options: SessionOptions = {}): Sessions {
  const { cookieName = 'sid', secure = false } = options
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
  const sessions = new Map<string, { loginState?: string }>()

  function get(cookieHeader: string | undefined): string | undefined {
    const id = readCookie(cookieHeader, cookieName)
    return id !== undefined && sessions.has(id) ? id : undefined
  }

  return {
    get,
    require(cookieHeader) {
      const id = get(cookieHeader)
      if (id === undefined) {
        throw new BoltTokenError('NOT_AUTHENTICATED', 'No session: show the login modal.')
      }
      return id
    },
    start(cookieHeader) {
      const existing = get(cookieHeader)
      if (existing !== undefined) return { id: existing }
      const id = randomSecret()
      sessions.set(id, {})
      return { id, setCookie: `${cookieName}=${id}; ${attributes}` }
    },
    newLoginState(id) {
      const loginState = randomSecret()
      sessions.set(id, { loginState })
      return loginState
    },
    takeLoginState(id) {
      const session = sessions.get(id)
      const loginState = session?.loginState
      if (session !== undefined) delete session.loginState
      return loginState
    },
    destroy(id) {
      sessions.delete(id)
      return `${cookieName}=; ${attributes}; Max-Age=0`
    },
  }
}
