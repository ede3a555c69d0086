/**
 * The shapes a secret takes when a server or a proxy echoes a request back: raw, percent-encoded
 * (`encodeURIComponent`, or a form body where a space is `+` and `+` is `%2B`, in either case of
 * hex digit), percent-encoded twice, JSON- or JS-escaped (`\u002b`, `\/`) and as HTML entities.
 * One pattern per secret matches every mix of them, character by character, so an echo that
 * encodes only some characters is caught too.
 *
 * @module
 */

const HTML_NAMED: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '"': '&quot;',
  "'": '&(?:apos|#39);',
  '<': '&lt;',
  '>': '&gt;',
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0')
}

/** Every way one character (one code point) of a secret may be written in echoed text. */
function characterForms(char: string): string[] {
  const bytes = [...new TextEncoder().encode(char)].map((byte) => hex(byte, 2))
  const codeUnits = Array.from({ length: char.length }, (_, i) => hex(char.charCodeAt(i), 4))
  const codePoint = char.codePointAt(0) ?? 0
  const forms = [
    escapeRegExp(char),
    bytes.map((byte) => `%${byte}`).join(''),
    bytes.map((byte) => `%25${byte}`).join(''),
    codeUnits.map((unit) => `\\\\u${unit}`).join(''),
    `&#0*${codePoint};`,
    `&#x0*${hex(codePoint, 1)};`,
  ]
  if (char === ' ') forms.push('\\+')
  if (char === '"' || char === '\\' || char === '/') forms.push(`\\\\${escapeRegExp(char)}`)
  const named = HTML_NAMED[char]
  if (named !== undefined) forms.push(named)
  return forms
}

/**
 * A global, case-insensitive pattern matching `secret` in any of the forms this module lists,
 * mixed freely. Case-insensitive because percent-escapes may be `%2b` or `%2B`; it may also
 * match a case variant of the secret itself, which only redacts more.
 */
export function secretPattern(secret: string): RegExp {
  const parts = Array.from(secret, (char) => `(?:${characterForms(char).join('|')})`)
  return new RegExp(parts.join(''), 'gi')
}
