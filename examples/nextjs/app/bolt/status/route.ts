import { bolt } from '@/lib/bolt'
import { answer, cookieOf } from '@/lib/route'

// The session's status as stored (`fullyScoped`, `expired`, `viewOnly`…): never calls Bolt,
// never refreshes. A page script uses it to decide what to offer.
export function GET(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { tokens, sessions } = await bolt()
    const sessionId = sessions.require(cookieOf(request))
    return Response.json(await tokens.getStatus(sessionId))
  })
}
