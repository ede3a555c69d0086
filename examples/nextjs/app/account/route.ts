import { bolt } from '@/lib/bolt'
import { answer, cookieOf } from '@/lib/route'

// Viewing the account: any valid token will do (refreshed when expired).
export function GET(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { sessions, account } = await bolt()
    const sessionId = sessions.require(cookieOf(request))
    return Response.json(await account.getAccount(sessionId))
  })
}
