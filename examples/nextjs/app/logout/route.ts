import { bolt } from '@/lib/bolt'
import { answer, cookieOf } from '@/lib/route'

export function POST(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { tokens, sessions } = await bolt()
    const response = new Response(null, { status: 204 })
    const sessionId = sessions.get(cookieOf(request))
    if (sessionId !== undefined) {
      await tokens.logout(sessionId)
      response.headers.append('set-cookie', sessions.destroy(sessionId))
    }
    return response
  })
}
