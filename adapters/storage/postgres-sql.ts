/**
 * The PostgreSQL store's SQL: the table's names (validated), its DDL and the store's
 * statements, and how to read drivers' results and errors. Internal to
 * `bolt-token-lifecycle/postgres`.
 *
 * @module
 */
import type { VersionedValue } from '../../src/contracts.js'
import type { PostgresRow } from './postgres.js'

/** The default table name. */
export const DEFAULT_TABLE = 'bolt_token_sessions'
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/
const MAX_TABLE_NAME = 55
const CHANNEL_SUFFIX = '_changed'
/** A TTL beyond a century is a mistake; it would also overflow PostgreSQL's interval. */
export const MAX_TTL_MS = 100 * 365 * 86_400_000

export interface TableNames {
  /** `"schema"."table"` or `"table"`. */
  quoted: string
  /** The `LISTEN` channel: `<table>_changed`. */
  channel: string
  /** The index on `expires_at`. */
  index: string
}

export function tableNames(table: string): TableNames {
  const parts = table.split('.')
  const name = parts.at(-1) ?? ''
  if (
    parts.length > 2 ||
    !parts.every((part) => IDENTIFIER.test(part)) ||
    table.length > MAX_TABLE_NAME
  ) {
    throw new TypeError(
      `createPostgresStore: table must be a lowercase SQL identifier (a-z, 0-9, _; not starting ` +
        `with a digit), optionally schema-qualified, at most ${MAX_TABLE_NAME} characters, e.g. ` +
        `"${DEFAULT_TABLE}" or "auth.${DEFAULT_TABLE}"; got ${JSON.stringify(table)}`,
    )
  }
  return {
    quoted: parts.map((part) => `"${part}"`).join('.'),
    channel: `${table}${CHANNEL_SUFFIX}`,
    index: `${name}_expires`,
  }
}

export function schemaStatements({ quoted, index }: TableNames): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${quoted} (
  key text PRIMARY KEY,
  value text NOT NULL,
  version bigint NOT NULL,
  expires_at timestamptz NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS "${index}" ON ${quoted} (expires_at)`,
  ]
}

/** The store's statements on one table. Parameters: $1 key, $2 channel, then the rest. */
export function statements({ quoted }: TableNames) {
  const expiresAt = `now() + $4::double precision * interval '1 millisecond'`
  // A swept row has been expired for a minute: a polling waiter has seen its last version.
  const sweepable = `expires_at < now() - interval '1 minute'`
  return {
    get: `SELECT value, version FROM ${quoted} WHERE key = $1 AND expires_at > now()`,
    // A new key's version is the database clock in microseconds, and a revived one's is
    // above both that and its old version: a key deleted and written again never repeats a
    // version that a slow writer may still hold.
    create: `WITH written AS (
  INSERT INTO ${quoted} AS stored (key, value, version, expires_at)
  VALUES ($1, $3, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, ${expiresAt})
  ON CONFLICT (key) DO UPDATE
    SET value = excluded.value,
        version = greatest(stored.version + 1, excluded.version),
        expires_at = excluded.expires_at
    WHERE stored.expires_at <= now()
  RETURNING version
)
SELECT version, pg_notify($2, $1) AS notified FROM written`,
    replace: `WITH written AS (
  UPDATE ${quoted} SET value = $3, version = version + 1, expires_at = ${expiresAt}
  WHERE key = $1 AND version = $5 AND expires_at > now()
  RETURNING version
)
SELECT version, pg_notify($2, $1) AS notified FROM written`,
    delete: `WITH written AS (
  UPDATE ${quoted} SET value = '', version = version + 1, expires_at = now()
  WHERE key = $1 AND expires_at > now()
  RETURNING version
)
SELECT pg_notify($2, $1) AS notified FROM written`,
    time: `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now`,
    // Expired or not: a delete (a tombstone) must count as a change for a polling waiter.
    versions: `SELECT key, version FROM ${quoted} WHERE key = ANY($1::text[])`,
    sweep: `WITH swept AS (
  DELETE FROM ${quoted} WHERE ${sweepable} AND key IN (
    SELECT key FROM ${quoted} WHERE ${sweepable}
    ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
  )
  RETURNING 1
)
SELECT count(*) AS swept FROM swept`,
  }
}

export function rowsOf(result: { rows: PostgresRow[] } | PostgresRow[]): PostgresRow[] {
  return Array.isArray(result) ? result : result.rows
}

/** The error's SQLSTATE, as node-postgres and Neon's driver expose it. */
export function sqlState(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined
}

export const isUndefinedTable = (error: unknown) => sqlState(error) === '42P01'
/** Two sessions creating the table at once: one of them loses on the catalog's unique index. */
export const isConcurrentCreate = (error: unknown) =>
  sqlState(error) === '23505' || sqlState(error) === '42P07'

export function toVersioned(
  result: { rows: PostgresRow[] } | PostgresRow[],
): VersionedValue | undefined {
  const row = rowsOf(result)[0]
  if (row === undefined || typeof row.value !== 'string') return undefined
  return { value: row.value, version: Number(row.version) }
}

export function absentIfNoTable(error: unknown): undefined {
  if (isUndefinedTable(error)) return undefined
  throw error
}
