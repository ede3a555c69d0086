/**
 * A worked example: after a Bolt login, link the shopper to your own customer record by the
 * email Bolt verified, creating one when there is none. docs/getting-started.md quotes it;
 * test/examples/link-customer.test.ts runs it against the emulator.
 *
 * @module
 */
import { isBoltTokenError, type TokenManager } from '../src/index.js'

/** Your customer records, however you keep them (a database table, say). */
export interface Customers {
  findByEmail(email: string): Promise<{ id: string } | undefined>
  create(customer: { email: string; firstName?: string; lastName?: string }): Promise<{
    id: string
  }>
}

/** What the login callback learned about the shopper. */
export type LinkResult =
  | { linked: 'existing' | 'created'; customerId: string }
  | { linked: false; why: 'no identity' | 'email not verified' | 'identity refused' }

/**
 * Links the session's shopper to a customer record. Only a verified email links: Bolt checked
 * that the shopper controls it. An unverified one must never open someone else's account.
 */
export async function linkCustomer(
  tokens: TokenManager,
  sessionId: string,
  customers: Customers,
): Promise<LinkResult> {
  let identity: Awaited<ReturnType<TokenManager['getIdentity']>>
  try {
    identity = await tokens.getIdentity(sessionId)
  } catch (error) {
    // A token that fails verification (tampered, wrong issuer…): use none of its claims.
    if (!isBoltTokenError(error, 'ID_TOKEN_INVALID')) throw error // Bolt's keys out of reach
    return { linked: false, why: 'identity refused' }
  }
  if (identity?.email === undefined) return { linked: false, why: 'no identity' }
  if (identity.email_verified !== true) return { linked: false, why: 'email not verified' }

  const email = identity.email.toLowerCase()
  const existing = await customers.findByEmail(email)
  if (existing !== undefined) return { linked: 'existing', customerId: existing.id }
  const created = await customers.create({
    email,
    ...(identity.first_name === undefined ? {} : { firstName: identity.first_name }),
    ...(identity.last_name === undefined ? {} : { lastName: identity.last_name }),
  })
  return { linked: 'created', customerId: created.id }
}
