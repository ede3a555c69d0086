import { bolt } from '@/lib/bolt'
import { answer, cookieOf } from '@/lib/route'

// The page calls this before opening Bolt's login modal with the returned `state`.
export function GET(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { sessions } = await bolt()
    const session = sessions.start(cookieOf(request))
    const response = Response.json({ state: sessions.newLoginState(session.id) })
    if (session.setCookie !== undefined) response.headers.append('set-cookie', session.setCookie)
    return response
  })
}
