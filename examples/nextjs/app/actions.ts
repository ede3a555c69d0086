'use server'
/**
 * The address form's server action. Changing the account needs `bolt.account.manage`, which only
 * the first hour after a login grants: on a view-only session it answers a step-up prompt.
 */
import { isBoltTokenError } from 'bolt-token-lifecycle'
import { revalidatePath } from 'next/cache'
import { headers } from 'next/headers'
import { bolt } from '@/lib/bolt'
import { readAddress } from '@/lib/route'
import { logToStderr } from '../../shared/app-options.js'
import { handleError } from '../../shared/http-errors.js'

/** What the form shows after a submission. */
export type AddressFormState =
  | { status: 'idle' }
  | { status: 'added'; street: string }
  /** SCOPE_REQUIRED: the session is view-only; a new login (step-up) restores manage. */
  | { status: 'stepUp'; message: string }
  | { status: 'loginRequired' }
  | { status: 'failed'; error: string }

/** The fields the form sends Bolt; anything else posted is ignored. */
const ADDRESS_FIELDS = [
  'first_name',
  'last_name',
  'street_address1',
  'locality',
  'region',
  'postal_code',
  'country_code',
  'email',
] as const

/** Adds the posted address to the shopper's Bolt account. */
export async function addAddress(
  _previous: AddressFormState,
  form: FormData,
): Promise<AddressFormState> {
  const cookie = (await headers()).get('cookie') ?? undefined
  const { sessions, account } = await bolt()
  const sessionId = sessions.get(cookie)
  if (sessionId === undefined) return { status: 'loginRequired' }
  const fields: Record<string, string> = {}
  for (const name of ADDRESS_FIELDS) {
    const value = form.get(name)
    if (typeof value === 'string' && value !== '') fields[name] = value
  }
  try {
    const added = await account.addAddress(sessionId, readAddress(fields))
    revalidatePath('/')
    return { status: 'added', street: added.street_address1 ?? '' }
  } catch (error) {
    if (isBoltTokenError(error, 'SCOPE_REQUIRED')) {
      return { status: 'stepUp', message: error.message }
    }
    // The shared mapping decides, and logs a 5xx (secret-free) as the route handlers do.
    const { status, body } = handleError(error, { method: 'POST', url: '/' }, logToStderr)
    return status === 401 ? { status: 'loginRequired' } : { status: 'failed', error: body.error }
  }
}
