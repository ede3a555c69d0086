'use client'
import { useActionState } from 'react'
import { type AddressFormState, addAddress } from './actions'

const idle: AddressFormState = { status: 'idle' }

/** The address form: works without JavaScript too (the server renders the action's answer). */
export function AddressForm() {
  const [state, submit, pending] = useActionState(addAddress, idle)
  return (
    <form action={submit}>
      <input name="first_name" placeholder="First name" required />
      <input name="last_name" placeholder="Last name" required />
      <input name="street_address1" placeholder="Street" required />
      <input name="locality" placeholder="City" required />
      <input name="region" placeholder="Region" required />
      <input name="postal_code" placeholder="Postal code" required />
      <input name="country_code" placeholder="Country (US)" required />
      <input name="email" type="email" placeholder="Email" required />
      <button type="submit" disabled={pending}>
        Add address
      </button>
      {state.status === 'added' && <p role="status">Address added: {state.street}</p>}
      {state.status === 'stepUp' && (
        // In your storefront: open Bolt's login modal; the new login can manage again.
        <p role="alert" data-step-up="">
          Log in with Bolt again to change your account. ({state.message})
        </p>
      )}
      {state.status === 'loginRequired' && <p role="alert">Log in with Bolt first.</p>}
      {state.status === 'failed' && <p role="alert">Could not add the address ({state.error}).</p>}
    </form>
  )
}
