import { secretPattern } from './secret-forms.js'

/** What replaces a secret in any text this library produces. */
export const REDACTED = '[redacted]'

/**
 * Replaces every occurrence of each secret in `text` with {@link REDACTED}: raw, and in every
 * encoding a server or a proxy may echo it in (URL- and form-encoded with either case of hex
 * digit, encoded twice, JSON-escaped, HTML entities; see `secret-forms.ts`).
 *
 * Used on every piece of server-provided text that reaches an error message, because a
 * server may echo what it was sent (a code, a refresh token, the client secret).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text
  // Longest first: a secret that contains another must be replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) result = result.replace(secretPattern(secret), REDACTED)
  }
  return result
}

/**
 * Runs of characters tokens and their encodings are made of (base64, base64url, hex, JWT,
 * percent- and backslash-escapes), long enough that no word of prose is one. `=` ends a run
 * so that an echoed form keeps its field names (`grant_type=authorization_code`); a token's
 * base64 padding left behind says nothing.
 */
const TOKEN_RUN = /[A-Za-z0-9\-._~+/%\\]{24,}/g

/**
 * Whether a long run looks random rather than like a word or a path: it mixes in a digit, both
 * letter cases or an encoding character. `//docs.bolt.com/oauth-errors` stays readable.
 */
function looksRandom(run: string): boolean {
  return /[0-9%+\\]/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run))
}

/**
 * Replaces every long token-like run in `text` with {@link REDACTED}: the safety net for a
 * value echoed in a form {@link redactSecrets} does not know (cut short, re-encoded), and for
 * values the request never carried.
 */
export function redactTokenLikeRuns(text: string): string {
  return text.replace(TOKEN_RUN, (run) => (looksRandom(run) ? REDACTED : run))
}

/** Shortens server-provided text for an error message: one line, at most `max` characters. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`
}

/**
 * Server-provided text made safe to quote in an error message: every secret the request
 * carried and every token-like run redacted, then shortened by {@link excerpt}. Redaction
 * comes first, so shortening never leaves half a secret that no longer matches.
 */
export function quoteServerText(text: string, secrets: readonly string[], max = 200): string {
  return excerpt(redactTokenLikeRuns(redactSecrets(text, secrets)), max)
}
