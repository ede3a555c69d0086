/**
 * How the Deno KV store lays a session out in entries: a header and the record as bytes, in
 * parts past Deno KV's value limit, and how versions come from versionstamps. Internal to
 * `bolt-token-lifecycle/deno-kv`.
 *
 * @module
 */
import type { DenoKvEntry } from './deno-kv.js'

/** What this store keeps at a session's key, decoded. */
export interface Stored {
  /** `null` for the write that created the key: its version is its commit sequence. */
  version: number | null
  expiresAt: number
  /** How many parts hold the record; 0 when it follows the header. */
  parts: number
  /** The entry's bytes, the record's UTF-8 from `bodyAt` on (when `parts` is 0). */
  bytes: Uint8Array
  bodyAt: number
}

/** The record inline up to this many UTF-8 bytes (Deno KV takes at most 64 KiB a value). */
const INLINE_MAX_BYTES = 60_000
const PART_BYTES = 60_000
export const MAX_PARTS = 9
const FORMAT = 'bolt1'
const NEWLINE = 10
const encoder = new TextEncoder()
export const decoder = new TextDecoder()

/** The commit sequence of a versionstamp (its first 8 bytes), as a safe integer. */
export function sequenceOf(versionstamp: string): number {
  const sequence = Number.parseInt(versionstamp.slice(0, 16), 16)
  if (!Number.isSafeInteger(sequence)) {
    throw new RangeError('Deno KV versionstamp beyond the safe integer range')
  }
  return sequence
}

/**
 * The entry's header, `bolt1 <version or -> <expiresAt or -> <parts>` and a newline, then the
 * record as UTF-8 unless it is in parts. Bytes, not a JavaScript value: Deno KV stores a
 * `Uint8Array` as it is, where other values go through V8's serializer, whose format differs
 * between Deno's V8 and Node's (Node 20 cannot read what Deno 2.9 writes).
 */
export function encodeEntry(
  version: number | null,
  expiresAt: number,
  parts: number,
  body: Uint8Array | undefined,
): Uint8Array {
  const expiry = Number.isFinite(expiresAt) ? String(expiresAt) : '-'
  const header = encoder.encode(`${FORMAT} ${version ?? '-'} ${expiry} ${parts}\n`)
  if (body === undefined) return header
  const bytes = new Uint8Array(header.length + body.length)
  bytes.set(header)
  bytes.set(body, header.length)
  return bytes
}

/** The entry if it is this store's; anything else at the key reads as absent. */
export function storedOf(entry: DenoKvEntry): Stored | undefined {
  const bytes = entry.value
  if (!(bytes instanceof Uint8Array)) return undefined
  const end = bytes.indexOf(NEWLINE)
  if (end < 0 || end > 80) return undefined
  const [format, version, expiry, parts] = decoder.decode(bytes.subarray(0, end)).split(' ')
  if (format !== FORMAT || version === undefined || expiry === undefined || parts === undefined) {
    return undefined
  }
  const stored: Stored = {
    version: version === '-' ? null : Number(version),
    expiresAt: expiry === '-' ? Number.POSITIVE_INFINITY : Number(expiry),
    parts: Number(parts),
    bytes,
    bodyAt: end + 1,
  }
  const { version: number, expiresAt, parts: count } = stored
  if (number !== null && !(Number.isSafeInteger(number) && number > 0)) return undefined
  if (Number.isNaN(expiresAt) || !Number.isInteger(count) || count < 0 || count > MAX_PARTS) {
    return undefined
  }
  return stored
}

export function versionOf(stored: Stored, versionstamp: string): number {
  return stored.version ?? sequenceOf(versionstamp)
}

/** The record as UTF-8: inline after the header, or in parts. */
export function split(value: string): { inline: Uint8Array } | { parts: Uint8Array[] } {
  const bytes = encoder.encode(value)
  if (bytes.length <= INLINE_MAX_BYTES) return { inline: bytes }
  const count = Math.ceil(bytes.length / PART_BYTES)
  if (count > MAX_PARTS) {
    throw new RangeError(
      `a session record of ${bytes.length} bytes exceeds the Deno KV store's ${MAX_PARTS * PART_BYTES}`,
    )
  }
  return {
    parts: Array.from({ length: count }, (_, i) =>
      bytes.slice(i * PART_BYTES, (i + 1) * PART_BYTES),
    ),
  }
}

export function joinParts(entries: readonly DenoKvEntry[]): string | undefined {
  const chunks: Uint8Array[] = []
  for (const entry of entries) {
    if (!(entry.value instanceof Uint8Array)) return undefined
    chunks.push(entry.value)
  }
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return decoder.decode(bytes)
}
