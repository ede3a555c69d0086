/**
 * The Redis protocol the Redis store (ioredis, over TCP) and the Upstash store (over HTTP)
 * share, so that both read and write one layout and run one script: key and channel names,
 * the `<version>:<record>` string, and the Lua scripts. Not a public entry point.
 *
 * Layout: one string per session, `{prefix}{{key}}` = `<version>:<record>`; its change channel
 * is the same name plus `:changed`. The braces are a hash tag, so a session's key and channel
 * sit in one cluster slot. Anything else at a session's key (another type, a string without a
 * version) reads as absent, and the next login replaces it.
 *
 * @module
 */
import type { VersionedValue } from '../../src/contracts.js'

/** Prefix of every key and channel when the store's options name none. */
export const DEFAULT_PREFIX = 'bolt-tokens:'

/** Time to live of a record written without one: 30 days. */
export const DEFAULT_TTL_MS = 30 * 24 * 3_600_000

/** The Redis key of session `key` under `prefix`. */
export function dataKeyOf(prefix: string, key: string): string {
  return `${prefix}{${key}}`
}

/** The change channel of session `key` under `prefix`. */
export function channelOf(prefix: string, key: string): string {
  return `${prefix}{${key}}:changed`
}

// The one reading of a record's version, in Lua: the scripts below share it.
const RECORD_VERSION = `
-- The record is one string, '<version>:<data>'. Anything else at the key (another type, or a
-- string without a version) is a foreign or corrupt record: it reads as absent, as get() does,
-- so that a new login can replace it.
local function recordVersion(key)
  if redis.call('TYPE', key).ok ~= 'string' then return false end
  local version = string.match(redis.call('GET', key), '^([1-9]%d*):')
  -- At most 16 digits, as get() reads them (a version is a whole number below 2^53).
  if version == nil or #version > 16 then return false end
  return version
end
`

/**
 * Compare-and-set. KEYS: data key, channel. ARGV: expected version (`0`: must not exist),
 * record, TTL in ms (from {@link ttlArgument}), `1` to publish with `SPUBLISH` (Redis ≥ 7)
 * else `PUBLISH`. Returns the new version as a string, or nil when the version did not match.
 *
 * Versions of a new key start at the server's clock in microseconds, so a key that was deleted
 * and written again never repeats a version a slow writer may still hold.
 */
export const COMPARE_AND_SET_SCRIPT = `${RECORD_VERSION}
local current = recordVersion(KEYS[1])
if current == false then
  if ARGV[1] ~= '0' then return false end
elseif current ~= ARGV[1] then
  return false
end
local nextVersion
if current == false then
  local now = redis.call('TIME')
  nextVersion = string.format('%d', tonumber(now[1]) * 1000000 + tonumber(now[2]))
else
  nextVersion = string.format('%d', tonumber(current) + 1)
end
-- SET replaces a key of any type. A TTL of 0 writes a record that is already gone (SET
-- refuses PX 0).
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], nextVersion .. ':' .. ARGV[2], 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
if ARGV[4] == '1' then
  redis.call('SPUBLISH', KEYS[2], nextVersion)
else
  redis.call('PUBLISH', KEYS[2], nextVersion)
end
return nextVersion
`

/** Delete. KEYS: data key, channel. ARGV: `1` for `SPUBLISH`, else `PUBLISH`. Returns 0. */
export const DELETE_SCRIPT = `
if redis.call('DEL', KEYS[1]) == 1 then
  if ARGV[1] == '1' then
    redis.call('SPUBLISH', KEYS[2], 'deleted')
  else
    redis.call('PUBLISH', KEYS[2], 'deleted')
  end
end
return 0
`

/**
 * The versions of several records, for a store that polls instead of subscribing. KEYS: data
 * keys. Returns one string per key: its version, or `0` when the record reads as absent.
 * Only versions travel, never the records.
 */
export const VERSIONS_SCRIPT = `${RECORD_VERSION}
local versions = {}
for i, key in ipairs(KEYS) do
  versions[i] = recordVersion(key) or '0'
end
return versions
`

/** The TTL argument of {@link COMPARE_AND_SET_SCRIPT}: whole milliseconds, `0` for already gone. */
export function ttlArgument(ttlMs: number): number {
  return Math.max(0, Math.min(Math.ceil(ttlMs), Number.MAX_SAFE_INTEGER))
}

/** The string the script stores for `value` at `version` (for tests and tools). */
export function formatRecord(version: number, value: string): string {
  return `${version}:${value}`
}

/** Parses '<version>:<data>'; anything else reads as absent (the scripts agree). */
export function parseRecord(raw: string | null): VersionedValue | undefined {
  if (raw === null) return undefined
  const colon = raw.indexOf(':')
  // 1 to 16 digits, no leading zero: a positive whole number, as the scripts read it.
  if (colon < 1 || colon > 16 || raw.charCodeAt(0) === 48) return undefined
  let version = 0
  for (let i = 0; i < colon; i++) {
    const digit = raw.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return undefined
    version = version * 10 + digit
  }
  return { value: raw.slice(colon + 1), version }
}

const digests = new Map<string, Promise<string>>()

/** Reads the server's clock: `TIME` inside a script, for clients that only run scripts. */
export const TIME_SCRIPT = "return redis.call('TIME')"

/** Epoch milliseconds of a `TIME` answer (seconds and microseconds, as strings or numbers). */
export function epochMsOfTime(answer: unknown): number {
  if (!Array.isArray(answer) || answer.length !== 2) return Number.NaN
  return Number(answer[0]) * 1000 + Math.floor(Number(answer[1]) / 1000)
}

/** The SHA-1 of a script in hex, as `EVALSHA` names it (computed once per script). */
export function scriptSha(script: string): Promise<string> {
  let sha = digests.get(script)
  if (sha === undefined) {
    sha = sha1Hex(script)
    digests.set(script, sha)
  }
  return sha
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}
