/**
 * The admin command's results as text for people (`--json` prints the results themselves).
 * Counts, states, codes, key ids, store keys and times: never a token, a key, a session id or
 * an ID-token claim but the email.
 *
 * @module
 */
import type { ReencryptCounts } from './checkpoint.js'
import type { SessionInspection } from './inspect.js'
import type { SessionLogout } from './logout.js'
import type { UnreadableReason } from './record-reader.js'
import type { ReencryptResult } from './reencrypt.js'
import { type SessionStats, STATES } from './stats.js'

const REASONS: Record<UnreadableReason, string> = {
  'unknown-key': 'under a key id the key ring lacks',
  'failed-check': 'failing their check (another key under that id, tampered, or moved)',
  'session-bound': 'bound to a session id (enc1: the manager rewrites them on their next write)',
  'not-a-record': 'not a session record this version reads',
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

/** `3 under a key id the key ring lacks; 1 bound to …`, or '' when there are none. */
function reasons(byReason: Partial<Record<UnreadableReason, number>>): string {
  return Object.entries(byReason)
    .map(([reason, count]) => `${count} ${REASONS[reason as UnreadableReason]}`)
    .join('; ')
}

/** A duration in whole minutes, hours and days: `42 min`, `5 h 3 min`, `29 d 23 h`. */
export function duration(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h${minutes % 60 === 0 ? '' : ` ${minutes % 60} min`}`
  return `${Math.floor(hours / 24)} d${hours % 24 === 0 ? '' : ` ${hours % 24} h`}`
}

function row(label: string, value: string | number, note = ''): string {
  return `  ${label.padEnd(26)}${String(value).padStart(7)}${note === '' ? '' : `  ${note}`}`
}

/** `stats` as text. */
export function renderStats(stats: SessionStats): string {
  const lines = [
    `Sessions in ${stats.store}: ${plural(stats.records, 'record')} (${plural(stats.scan.batches, 'batch', 'batches')})`,
    `By state at ${new Date(stats.at).toISOString()}, as getStatus reads them:`,
    ...STATES.map((state) => row(state, stats.byState[state])),
    row('unreadable', stats.unreadable, reasons(stats.unreadableByReason)),
    'Within the next hour:',
    row(
      'access tokens expiring',
      stats.accessTokens.expiringWithinHour,
      `(and ${stats.accessTokens.expired} already expired: refreshed on their next use)`,
    ),
    row('records the store drops', stats.recordsEndingWithinHour, '(their store TTL ends)'),
  ]
  const keys = Object.entries(stats.byKeyId)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, count]) => `${count} under key '${id}'`)
  if (stats.plaintext > 0 || keys.length === 0) keys.push(`${stats.plaintext} plaintext`)
  lines.push(`Encryption: ${keys.join(', ')}`)
  return `${lines.join('\n')}\n`
}

/** `inspect` as text. */
export function renderInspection(found: SessionInspection, now: number): string {
  const stored = found.keyId === null ? 'plaintext' : `encrypted under key '${found.keyId}'`
  const kept = found.storeTtlMs === null ? 'without expiry' : `for ${duration(found.storeTtlMs)}`
  const lines = [`Session with store key ${found.storeKey} in ${found.store}`]
  if (!found.readable) {
    lines.push(
      `  state          unreadable (RECORD_UNREADABLE): the token manager reads it as logged out`,
      `  record         ${stored}; the store keeps it ${kept}`,
    )
    return `${lines.join('\n')}\n`
  }
  const expires = found.accessTokenExpiresAt
  const email =
    found.email === null
      ? found.identityErrorCode === null
        ? 'none (no ID token)'
        : `unknown: the ID token failed its check (${found.identityErrorCode})`
      : `${found.email}${found.emailVerified === true ? ' (verified)' : ' (not verified)'}`
  lines.push(
    `  state          ${found.state}`,
    `  scopes         ${found.scopes.length === 0 ? 'none' : found.scopes.join(' ')}`,
    `  access token   ${
      expires === null
        ? 'none'
        : `expires ${new Date(expires).toISOString()} (${expires > now ? `in ${duration(expires - now)}` : `${duration(now - expires)} ago`})`
    }`,
    `  can manage     ${found.canManage ? 'yes' : 'no'}`,
    `  last error     ${found.lastErrorCode ?? 'none'}`,
    `  email          ${email}`,
    `  record         ${stored}; the store keeps it ${kept}`,
  )
  return `${lines.join('\n')}\n`
}

/** `logout` as text. */
export function renderLogout(done: SessionLogout): string {
  const session = `the session with store key ${done.storeKey} in ${done.store}`
  if (done.alreadyLoggedOut) return `Nothing to do: ${session} was already logged out.\n`
  const was = done.previousState === null ? 'unreadable' : done.previousState
  return `Logged out ${session} (it was ${was}). Its tokens are gone, and a refresh still in flight cannot bring them back.\n`
}

function countRows(counts: ReencryptCounts, result: ReencryptResult): string[] {
  return [
    row('scanned', counts.scanned),
    row('rewritten', counts.rewritten),
    row('already current', counts.alreadyCurrent),
    row(
      'skipped (changed)',
      counts.skippedChanged,
      counts.skippedChanged === 0 ? '' : 'written by a live instance meanwhile: never overwritten',
    ),
    row('unreadable', counts.unreadable, reasons(result.unreadableByReason)),
    row(
      'plaintext',
      counts.plaintext,
      counts.plaintext === 0
        ? ''
        : 'left as they are: the manager encrypts them on their next write',
    ),
  ]
}

/** `reencrypt`'s summary as text. */
export function renderReencrypt(result: ReencryptResult): string {
  const key = `'${result.currentKeyId}'`
  const resumed = result.resumed ? ' (resumed from a checkpoint)' : ''
  const head = result.complete
    ? `Re-encrypted the sessions in ${result.store} under key ${key}: complete${resumed}.`
    : `Stopped ${result.stoppedBy === 'limit' ? 'at --limit' : 'on interrupt'} re-encrypting the sessions in ${result.store} under key ${key}${resumed}.`
  const next = result.complete
    ? result.counts.unreadable > 0
      ? `Some records could not be read: keep every old key until they are gone (their store TTL) or you accept logging those shoppers out.`
      : `Next: check with \`sessions stats\` that every record is under ${key}, then remove the old keys.`
    : `Resume with the same command and --resume (checkpoint: ${result.checkpoint}).`
  return `${[head, ...countRows(result.counts, result), next].join('\n')}\n`
}
