/**
 * The examples' session helper (../shared/sessions.ts) on Web Crypto instead of `node:crypto`,
 * so that it runs on workerd without Node compatibility: a random session id in an HttpOnly
 * cookie, and an in-memory map holding the login `state` issued to each session.
 *
 * The map lives in one isolate. That is all workerd on one machine needs; on Cloudflare's
 * network, keep sessions (and tokens: a shared `TokenStore`) where every isolate sees them.
 */
import { BoltTokenError } from 'bolt-token-lifecycle'
import type { SessionOptions, Sessions } from '../shared/sessions.js'

/** 32 random bytes, base64url: unguessable session ids and login states. */
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

/** Creates an in-memory session helper (one per isolate), with Web APIs only. */
export function createWebSessions(options: SessionOptions = {}): Sessions {
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
