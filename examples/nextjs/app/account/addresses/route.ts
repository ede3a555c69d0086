import { bolt } from '@/lib/bolt'
import { answer, cookieOf, jsonBody, readAddress } from '@/lib/route'

// Changing the account needs bolt.account.manage: SCOPE_REQUIRED on a view-only session.
export function POST(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { sessions, account } = await bolt()
    const sessionId = sessions.require(cookieOf(request))
    const address = readAddress(await jsonBody(request))
    return Response.json(await account.addAddress(sessionId, address))
  })
}
