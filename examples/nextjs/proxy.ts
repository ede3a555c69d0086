/**
 * Runs before the shopper's page (`/`) renders, and sends a shopper without a live session to
 * `/login`.
 *
 * It holds no token, no key and no token manager: it reads the cookie and asks the Node side
 * (`GET /bolt/session-check`), where the one token manager of the process refreshes an expired
 * token, once however many requests ask at the same moment. Next.js may run a proxy apart from
 * the app (its docs: rely on no shared modules or globals), so it uses Web APIs only: the same
 * code runs unchanged as an edge-runtime `middleware.ts`. See README.md, "The proxy".
 */
import { type NextRequest, NextResponse } from 'next/server'

/** The session cookie of examples/shared/sessions.ts. */
const SESSION_COOKIE = 'sid'

export async function proxy(request: NextRequest): Promise<NextResponse> {
  const login = NextResponse.redirect(new URL('/login', request.url))
  const cookie = request.headers.get('cookie')
  if (cookie === null || !request.cookies.has(SESSION_COOKIE)) return login
  // Next.js builds this origin from the address it listens on, not from the Host header.
  const check = await fetch(new URL('/bolt/session-check', request.nextUrl.origin), {
    headers: { cookie },
    cache: 'no-store',
  })
  await check.text() // read it to the end (check.body.cancel() left the response hanging in Next 16.5)
  // 401: no session, or Bolt ended it. Anything else renders; the page answers for itself.
  return check.status === 401 ? login : NextResponse.next()
}

export const config = { matcher: '/' }
