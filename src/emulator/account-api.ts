import type { IncomingHttpHeaders } from 'node:http'
import type { Account, AccountStore, Address } from './accounts.js'
import { errorReply, jsonReply, type Reply } from './http.js'
import { randomId } from './random-id.js'
import type { AccessGrant, TokenAuthority } from './token-grants.js'
import type { EmulatorStats } from './types.js'

/** The path of the Account API; everything under it is the `'account'` fault route. */
export const ACCOUNT_PATH = '/v1/account'

/** What the Account API needs from the emulator around it. */
export interface AccountApiContext {
  authority: TokenAuthority
  accounts: AccountStore
  stats: EmulatorStats
}

/** An Account API request, read off the wire. */
export interface AccountRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

const REQUIRED_ADDRESS_FIELDS = ['street_address1', 'locality', 'postal_code', 'country_code']

/**
 * Answers the emulator's slice of Bolt's Account API:
 * `GET /v1/account` (needs `bolt.account.view` or `bolt.account.manage`) and
 * `POST /v1/account/addresses` (needs `bolt.account.manage`).
 */
export function answerAccountRequest(context: AccountApiContext, request: AccountRequest): Reply {
  const { method, path } = request
  if (path === ACCOUNT_PATH) {
    if (method !== 'GET') return methodNotAllowed('GET')
    const auth = authorize(context, request.headers)
    if ('reply' in auth) return auth.reply
    if (
      !auth.grant.scopes.has('bolt.account.view') &&
      !auth.grant.scopes.has('bolt.account.manage')
    ) {
      return insufficientScope('bolt.account.view')
    }
    context.stats.accountReads += 1
    return jsonReply(200, {
      email: auth.account.email,
      addresses: auth.account.addresses.map((address) => ({ ...address })),
    })
  }
  if (path === `${ACCOUNT_PATH}/addresses`) {
    if (method !== 'POST') return methodNotAllowed('POST')
    const auth = authorize(context, request.headers)
    if ('reply' in auth) return auth.reply
    if (!auth.grant.scopes.has('bolt.account.manage'))
      return insufficientScope('bolt.account.manage')
    const fields = parseAddress(request.body)
    if (typeof fields === 'string') return errorReply(400, 'invalid_request', fields)
    const address: Address = { id: randomId('addr_'), ...fields }
    auth.account.addresses.push(address)
    context.stats.accountWrites += 1
    return jsonReply(200, { ...address })
  }
  return errorReply(404, 'not_found', `No route for ${method} ${path}`)
}

function authorize(
  context: AccountApiContext,
  headers: IncomingHttpHeaders,
): { grant: AccessGrant; account: Account } | { reply: Reply } {
  const token = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '')?.[1]
  const grant = token === undefined ? undefined : context.authority.authenticate(token)
  const account = grant === undefined ? undefined : context.accounts.get(grant.accountId)
  if (grant === undefined || account === undefined) {
    const description =
      token === undefined
        ? 'A Bearer access token is required'
        : 'The access token is invalid, expired or revoked'
    return {
      reply: errorReply(401, 'invalid_token', description, {
        'www-authenticate': 'Bearer error="invalid_token"',
      }),
    }
  }
  return { grant, account }
}

function insufficientScope(scope: 'bolt.account.view' | 'bolt.account.manage'): Reply {
  const description =
    scope === 'bolt.account.manage'
      ? 'This action requires bolt.account.manage; ask the shopper to log in again'
      : 'This action requires bolt.account.view or bolt.account.manage'
  return errorReply(403, 'insufficient_scope', description, {
    'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
  })
}

function methodNotAllowed(allowed: string): Reply {
  return errorReply(405, 'invalid_request', `Use ${allowed}`, { allow: allowed })
}

/** The address fields to store, or why the body is not an address. */
function parseAddress(body: string): Record<string, string | boolean> | string {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return 'The body must be a JSON object'
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'The body must be a JSON object'
  }
  const fields: Record<string, string | boolean> = {}
  for (const [name, field] of Object.entries(value)) {
    if (name !== 'id' && (typeof field === 'string' || typeof field === 'boolean')) {
      fields[name] = field
    }
  }
  const missing = REQUIRED_ADDRESS_FIELDS.filter(
    (name) => typeof fields[name] !== 'string' || fields[name] === '',
  )
  if (missing.length > 0) return `Missing address fields: ${missing.join(', ')}`
  return fields
}
