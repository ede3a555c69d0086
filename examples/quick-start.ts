/**
 * The README's quick start, runnable: `npx tsx examples/quick-start.ts`.
 * It uses the built-in Bolt emulator so it runs anywhere; in production, drop the
 * emulator and pass your own keys (and `baseUrl: BOLT_SANDBOX_URL` for the sandbox).
 */
import { createAccountApi, createTokenManager, isBoltTokenError } from 'bolt-token-lifecycle'
import { emulatorManagerOptions, startBoltEmulator } from 'bolt-token-lifecycle/emulator'

export async function quickStart(): Promise<string[]> {
  const bolt = await startBoltEmulator() // stands in for https://api.bolt.com
  // The emulator's keys, URL and clock; in production, { clientId: your publishable key,
  // clientSecret: your API key }.
  const tokens = createTokenManager(emulatorManagerOptions(bolt))
  const seen: string[] = []
  tokens.subscribe((event) => {
    if (event.type === 'transition') seen.push(`${event.from} → ${event.to}`)
  })

  // Your login-modal callback route: the frontend posts the code it got from Bolt.
  const { code } = bolt.login()
  await tokens.exchangeCode('session-123', { code })

  // Any route that calls the Bolt Account API: the session's token (refreshed when expired)
  // and your API key are sent for you.
  const account = createAccountApi(tokens, 'session-123')
  const { profile } = await account.getDetails()
  seen.push(`GET /v1/account → ${profile?.email}`)

  // Changing the account needs bolt.account.manage, which only a fresh login grants.
  try {
    await tokens.getAccessToken('session-123', { scope: 'bolt.account.manage' })
    seen.push('may manage the account')
  } catch (error) {
    if (isBoltTokenError(error, 'SCOPE_REQUIRED')) seen.push('show the login modal again')
    else throw error
  }

  await tokens.logout('session-123')
  await bolt.close()
  return seen
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await quickStart()) console.log(line)
}
