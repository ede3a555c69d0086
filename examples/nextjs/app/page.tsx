import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { bolt } from '@/lib/bolt'
import { errorResponse } from '../../shared/http-errors.js'
import { AddressForm } from './address-form'

/** The shopper's page, rendered on the server: who they are, their addresses, the form. */
export default async function ShopperPage() {
  const cookie = (await headers()).get('cookie') ?? undefined // per request: never prerendered
  const { tokens, sessions, account } = await bolt()
  const sessionId = sessions.get(cookie)
  if (sessionId === undefined) redirect('/login')
  let loaded: Awaited<ReturnType<typeof load>>
  try {
    loaded = await load(sessionId)
  } catch (error) {
    // No session, or Bolt ended it (the shared mapping's 401s): log in again.
    if (errorResponse(error).status === 401) redirect('/login')
    throw error
  }
  const { identity, details, canManage } = loaded
  return (
    <main>
      <h1>Your Bolt account</h1>
      {identity !== null && (
        // The ID token's claims, verified (signature, issuer, times) by getIdentity.
        <p data-identity="">
          {[identity.first_name, identity.last_name].filter(Boolean).join(' ')}
          {`, ${identity.email ?? 'no email'}`}
          {identity.email_verified === true ? ' (verified)' : ' (not verified)'}
        </p>
      )}
      <p data-can-manage={String(canManage)}>
        {canManage ? 'You can change your account.' : 'View only: changes need a new login.'}
      </p>
      <h2>Addresses</h2>
      <ul>
        {(details.addresses ?? []).map((address) => (
          <li key={address.id}>{`${address.street_address1}, ${address.locality}`}</li>
        ))}
      </ul>
      <AddressForm />
    </main>
  )

  async function load(sessionId: string) {
    // The account read asks for the token (refreshing it once when expired), as the proxy did.
    const [identity, details] = await Promise.all([
      tokens.getIdentity(sessionId),
      account.getAccount(sessionId),
    ])
    const { canManage } = await tokens.getStatus(sessionId)
    return { identity, details, canManage }
  }
}
