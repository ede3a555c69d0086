import { bolt } from '@/lib/bolt'
import { answer, cookieOf } from '@/lib/route'

// What the proxy asks before a shopper's page renders (see ../../../proxy.ts): the session must
// hold a valid access token now. An expired one is refreshed here, on the Node side, once per
// rotation however many requests ask at the same moment; a session Bolt ended is a 401.
export function GET(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { tokens, sessions } = await bolt()
    const sessionId = sessions.require(cookieOf(request))
    await tokens.getAccessToken(sessionId)
    const { state, canManage } = await tokens.getStatus(sessionId)
    return Response.json({ state, canManage })
  })
}
