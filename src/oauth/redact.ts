/** What replaces a secret in any text this library produces. */
export const REDACTED = '[redacted]'

/**
 * Replaces every occurrence of each secret in `text` with {@link REDACTED}.
 *
 * Used on every piece of server-provided text that reaches an error message, because a
 * server may echo what it was sent (a code, a refresh token, the client secret).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join(REDACTED)
  }
  return result
}

/** Shortens server-provided text for an error message: one line, at most `max` characters. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`
}
