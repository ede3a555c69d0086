/**
 * The persisted form of one session: our own versioned envelope
 * `{ schema, value, context }`, never XState's internal snapshot format (which has
 * changed between minor versions).
 *
 * @module
 */
import type { SnapshotFrom } from 'xstate'
import { type TokenContext, type TokenState, tokenMachine } from '../machine/token-machine.js'
import { fromStoredTokenSet, type StoredTokenSet, toStoredTokenSet } from '../machine/token-set.js'

/**
 * The envelope's current schema. Bump it (and migrate in {@link decodeSessionRecord}) on change.
 * @group Machine
 */
export const SESSION_RECORD_SCHEMA = 1

/**
 * The machine context as stored: the tokens as plain strings.
 * @group Machine
 */
export type StoredContext = Omit<TokenContext, 'tokens'> & { tokens: StoredTokenSet | null }

/**
 * The envelope as stored.
 * @group Machine
 */
export interface SessionRecord {
  schema: typeof SESSION_RECORD_SCHEMA
  value: TokenState
  context: StoredContext
}

/**
 * A snapshot of the token machine.
 * @group Machine
 */
export type TokenSnapshot = SnapshotFrom<typeof tokenMachine>

const states = new Set<string>(Object.keys(tokenMachine.config.states ?? {}))

/**
 * Serializes a snapshot into the stored envelope.
 * @group Machine
 */
export function encodeSessionRecord(snapshot: TokenSnapshot): string {
  return JSON.stringify(sessionRecordOf(snapshot))
}

/** The envelope of a snapshot, as {@link encodeSessionRecord} writes it and decoding reads it. */
export function sessionRecordOf(snapshot: TokenSnapshot): SessionRecord {
  return {
    schema: SESSION_RECORD_SCHEMA,
    value: snapshot.value as TokenState,
    context: {
      ...snapshot.context,
      tokens: snapshot.context.tokens === null ? null : toStoredTokenSet(snapshot.context.tokens),
    },
  }
}

/**
 * Parses a stored envelope back into the envelope's parts, or `undefined` when it is not
 * a record this version understands (the session then reads as absent).
 * @group Machine
 */
export function decodeSessionRecord(raw: string): SessionRecord | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const record = parsed as Partial<SessionRecord>
  if (record.schema !== SESSION_RECORD_SCHEMA) return undefined
  if (typeof record.value !== 'string' || !states.has(record.value)) return undefined
  const context = record.context
  if (typeof context !== 'object' || context === null) return undefined
  if (!('tokens' in context) || !('lease' in context) || !('lastError' in context)) return undefined
  // Records written before `interruptedRefresh` or `interruptedLogin` existed had none.
  const { interruptedRefresh, interruptedLogin } = context as Partial<StoredContext>
  if (interruptedRefresh === undefined || interruptedLogin === undefined) {
    return {
      ...record,
      context: {
        ...context,
        interruptedRefresh: interruptedRefresh ?? null,
        interruptedLogin: interruptedLogin ?? null,
      },
    } as SessionRecord
  }
  return record as SessionRecord
}

/** Revives a machine snapshot from a decoded envelope. */
export function reviveSnapshot(record: SessionRecord): TokenSnapshot {
  const { tokens } = record.context
  return tokenMachine.resolveState({
    value: record.value,
    context: { ...record.context, tokens: tokens === null ? null : fromStoredTokenSet(tokens) },
  })
}
