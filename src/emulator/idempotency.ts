import type { Reply } from './http.js'

/**
 * The Account API's `Idempotency-Key` records: the first successful answer of a write, per
 * shopper account, method, path and key. The same key on the same route answers that reply
 * again without writing; on another route it is a new key.
 */
export interface IdempotencyRecords {
  /** The answer recorded for this write, if any. */
  find(scope: IdempotencyScope): Reply | undefined
  /** Records a successful answer (2xx only: a refused write may be retried with the same key). */
  remember(scope: IdempotencyScope, reply: Reply): void
}

/** What an `Idempotency-Key` is scoped to. */
export interface IdempotencyScope {
  accountId: string
  method: string
  path: string
  key: string
}

/** Creates empty {@link IdempotencyRecords}. */
export function createIdempotencyRecords(): IdempotencyRecords {
  const replies = new Map<string, Reply>()
  const keyOf = (scope: IdempotencyScope) =>
    JSON.stringify([scope.accountId, scope.method, scope.path, scope.key])
  return {
    find: (scope) => replies.get(keyOf(scope)),
    remember(scope, reply) {
      if (reply.status >= 200 && reply.status < 300) replies.set(keyOf(scope), reply)
    },
  }
}
