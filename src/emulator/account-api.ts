import type { IncomingHttpHeaders } from 'node:http'
import { addAddress, deleteAddress, editAddress, replaceAddress } from './account-addresses.js'
import { ACCOUNT_ERROR_CODES, accountErrorReply } from './account-errors.js'
import { ACCOUNT_EXISTS_PATH, answerAccountExists } from './account-exists.js'
import { addPaymentMethod, deletePaymentMethod } from './account-payment-methods.js'
import { accountDetails, updateProfile } from './account-profile.js'
import type { Account, AccountStore } from './accounts.js'
import { jsonReply, type Reply } from './http.js'
import type { IdempotencyRecords } from './idempotency.js'
import { secureEqual } from './secure-compare.js'
import type { AccessGrant, TokenAuthority } from './token-grants.js'
import type { EmulatorStats } from './types.js'

/** The path of the Account API; everything under it is the `'account'` fault route. */
export const ACCOUNT_PATH = '/v1/account'

/** What the Account API needs from the emulator around it. */
export interface AccountApiContext {
  authority: TokenAuthority
  accounts: AccountStore
  idempotency: IdempotencyRecords
  stats: EmulatorStats
  clientId: string
  clientSecret: string
}

/** An Account API request, read off the wire. */
export interface AccountRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: string
}

/** One session route: its method, path, whether it writes, and what it does. */
interface SessionRoute {
  method: string
  path: RegExp
  writes: boolean
  handle(context: AccountApiContext, account: Account, body: string, id: string): Reply
}

const ID = '([A-Za-z0-9_-]+)'

/** The routes of Bolt's Account API table that act for a shopper (access token + API key). */
const SESSION_ROUTES: readonly SessionRoute[] = [
  {
    method: 'GET',
    path: /^\/v1\/account$/,
    writes: false,
    handle: (_context, account) => jsonReply(200, accountDetails(account)),
  },
  {
    method: 'PATCH',
    path: /^\/v1\/account\/profile$/,
    writes: true,
    handle: (_context, account, body) => updateProfile(account, body),
  },
  {
    method: 'POST',
    path: /^\/v1\/account\/addresses$/,
    writes: true,
    handle: (_context, account, body) => addAddress(account, body),
  },
  {
    method: 'PUT',
    path: new RegExp(`^/v1/account/addresses/${ID}$`),
    writes: true,
    handle: (_context, account, body, id) => editAddress(account, id, body),
  },
  {
    method: 'POST',
    path: new RegExp(`^/v1/account/addresses/${ID}$`),
    writes: true,
    handle: (_context, account, body, id) => replaceAddress(account, id, body),
  },
  {
    method: 'DELETE',
    path: new RegExp(`^/v1/account/addresses/${ID}$`),
    writes: true,
    handle: (_context, account, _body, id) => deleteAddress(account, id),
  },
  {
    method: 'POST',
    path: /^\/v1\/account\/payment_methods$/,
    writes: true,
    handle: (_context, account, body) => addPaymentMethod(account, body),
  },
  {
    method: 'DELETE',
    path: new RegExp(`^/v1/account/payment_methods/${ID}$`),
    writes: true,
    handle: (context, account, _body, id) =>
      deletePaymentMethod(account, id, context.accounts.ownerOfPaymentMethod),
  },
]

/**
 * Answers Bolt's Account API (`/v1/account…`, every route of the v1 spec's table). Session
 * routes check, in order: the merchant's `X-API-Key` (and `X-Publishable-Key` when sent):
 * `403`; the `Authorization: Bearer` access token: `401`; the token's scope (view or manage to
 * read, manage to write): `403`. Writes honour `Idempotency-Key`. Every error has Bolt's
 * body, `{ "result": { "success": false }, "errors": [{ "code", "message" }] }`.
 */
export function answerAccountRequest(context: AccountApiContext, request: AccountRequest): Reply {
  const { method, path } = request
  if (path === ACCOUNT_EXISTS_PATH) {
    if (method !== 'GET') return methodNotAllowed(['GET'])
    return answerAccountExists(context.accounts, context.clientId, request.headers, request.query)
  }
  const onPath = SESSION_ROUTES.filter((route) => route.path.test(path))
  if (onPath.length === 0) {
    return accountErrorReply(404, ACCOUNT_ERROR_CODES.notFound, `No route for ${method} ${path}`)
  }
  const route = onPath.find((candidate) => candidate.method === method)
  if (route === undefined) return methodNotAllowed(onPath.map((candidate) => candidate.method))

  const merchantRefusal = checkMerchantKeys(context, request.headers)
  if (merchantRefusal !== undefined) return merchantRefusal
  const auth = authenticate(context, request.headers)
  if ('reply' in auth) return auth.reply
  if (!isAllowed(auth.grant, route.writes)) return scopeRefusal(route.writes)

  const id = route.path.exec(path)?.[1] ?? ''
  if (!route.writes) {
    context.stats.accountReads += 1
    return route.handle(context, auth.account, request.body, id)
  }
  const key = request.headers['idempotency-key']
  const scope =
    typeof key === 'string' && key !== ''
      ? { accountId: auth.account.id, method, path, key }
      : undefined
  const recorded = scope === undefined ? undefined : context.idempotency.find(scope)
  if (recorded !== undefined) {
    context.stats.idempotentReplays += 1
    return { ...recorded, headers: { ...recorded.headers, 'idempotent-replayed': 'true' } }
  }
  const reply = route.handle(context, auth.account, request.body, id)
  if (reply.status >= 200 && reply.status < 300) context.stats.accountWrites += 1
  if (scope !== undefined) context.idempotency.remember(scope, reply)
  return reply
}

/** The `403` for a missing or wrong `X-API-Key`, or a wrong `X-Publishable-Key`. */
function checkMerchantKeys(
  context: AccountApiContext,
  headers: IncomingHttpHeaders,
): Reply | undefined {
  const apiKey = headers['x-api-key']
  const publishableKey = headers['x-publishable-key']
  const apiKeyWrong = typeof apiKey !== 'string' || !secureEqual(apiKey, context.clientSecret)
  const publishableKeyWrong =
    publishableKey !== undefined &&
    (typeof publishableKey !== 'string' || !secureEqual(publishableKey, context.clientId))
  if (!apiKeyWrong && !publishableKeyWrong) return undefined
  return accountErrorReply(
    403,
    ACCOUNT_ERROR_CODES.invalidMerchantKey,
    apiKeyWrong
      ? 'The X-API-Key header is missing or is not the merchant API key'
      : 'The X-Publishable-Key header is not the publishable key',
  )
}

function authenticate(
  context: AccountApiContext,
  headers: IncomingHttpHeaders,
): { grant: AccessGrant; account: Account } | { reply: Reply } {
  const token = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '')?.[1]
  const grant = token === undefined ? undefined : context.authority.authenticate(token)
  const account = grant === undefined ? undefined : context.accounts.get(grant.accountId)
  if (grant !== undefined && account !== undefined) return { grant, account }
  const message =
    token === undefined
      ? 'A Bearer access token is required'
      : 'The access token is invalid, expired or revoked'
  return {
    reply: accountErrorReply(401, ACCOUNT_ERROR_CODES.unauthorized, message, {
      'www-authenticate': 'Bearer error="invalid_token"',
    }),
  }
}

function isAllowed(grant: AccessGrant, writes: boolean): boolean {
  if (grant.scopes.has('bolt.account.manage')) return true
  return !writes && grant.scopes.has('bolt.account.view')
}

/** Bolt documents no particular error for a token whose scope falls short: a `403`, Bolt's body. */
function scopeRefusal(writes: boolean): Reply {
  return accountErrorReply(
    403,
    ACCOUNT_ERROR_CODES.insufficientSessionLevel,
    writes
      ? 'This action needs a token with bolt.account.manage; the shopper must log in again'
      : 'This action needs a token with bolt.account.view or bolt.account.manage',
  )
}

function methodNotAllowed(allowed: readonly string[]): Reply {
  return accountErrorReply(
    405,
    ACCOUNT_ERROR_CODES.methodNotAllowed,
    `Use ${allowed.join(' or ')}`,
    { allow: allowed.join(', ') },
  )
}
