import { bolt } from '@/lib/bolt'
import { answer, cookieOf, jsonBody, readLoginCallback } from '@/lib/route'

// The login modal's callback: the frontend posts the `code` and `state` Bolt gave it.
export function POST(request: Request): Promise<Response> {
  return answer(request, async () => {
    const { tokens, sessions } = await bolt()
    const sessionId = sessions.require(cookieOf(request))
    const { code, state } = readLoginCallback(await jsonBody(request))
    const status = await tokens.exchangeCode(sessionId, {
      code,
      state,
      // The state issued to this session, used once. '' if none: it matches no state.
      expectedState: sessions.takeLoginState(sessionId) ?? '',
    })
    return Response.json(status) // { state: 'fullyScoped', scopes, expiresAt, canManage: true, lastError: null }
  })
}
