/**
 * bolt-token-lifecycle/machine: the token lifecycle's inner workings, for tools and for
 * readers of the stored records. A merchant's backend needs none of it: the root entry's
 * `createTokenManager` runs this machine.
 *
 * - {@link tokenMachine}: the pure XState machine, its states, events and context.
 * - {@link toMermaid} and {@link listTransitions}: the machine as a diagram and as a list of arrows.
 * - {@link encodeSessionRecord} and {@link decodeSessionRecord}: the versioned record a store
 *   holds for one session (before encryption, when the `encryption` option is set).
 * - {@link TokenSet} and the pure questions asked of it ({@link canManage},
 *   {@link isAccessTokenFresh}), and {@link Secret}, the wrapper its tokens are held in.
 *
 * @example
 * import { tokenMachine, toMermaid } from 'bolt-token-lifecycle/machine'
 *
 * console.log(toMermaid(tokenMachine, { highlight: 'viewOnly' }))
 *
 * @packageDocumentation
 */
export {
  decodeSessionRecord,
  encodeSessionRecord,
  SESSION_RECORD_SCHEMA,
  type SessionRecord,
  type StoredContext,
  type TokenSnapshot,
} from '../manager/session-record.js'
export { Secret } from '../secret.js'
export {
  listTransitions,
  type MachineTransition,
  type ToMermaidOptions,
  toMermaid,
} from './mermaid.js'
export {
  type ExchangeCodeParams,
  isSingleCallerTransition,
  type Lease,
  type SessionError,
  type TokenContext,
  type TokenEvent,
  type TokenMachine,
  type TokenState,
  type TokenTransitionMeta,
  tokenMachine,
} from './token-machine.js'
export {
  canManage,
  DEFAULT_EXCHANGE_SCOPE,
  isAccessTokenFresh,
  parseScopes,
  REFRESH_SCOPE,
  type StoredTokenSet,
  type TokenSet,
} from './token-set.js'
