import { describe, expect, it } from 'vitest'
import {
  quoteServerText,
  REDACTED,
  redactSecrets,
  redactTokenLikeRuns,
} from '../../src/oauth/redact.js'

/** Regex syntax, a space, '+', '/', '=', a non-ASCII and an astral character. */
const SECRET = 'k$(e)[y]\\+/= ü😀.*'

const html = (text: string) => [...text].map((c) => `&#${c.codePointAt(0)};`).join('')

describe('redactSecrets', () => {
  it.each([
    ['encodeURIComponent', encodeURIComponent(SECRET)],
    ['form-encoded', new URLSearchParams({ v: SECRET }).toString().slice(2)],
    ['lower-case escapes', encodeURIComponent(SECRET).toLowerCase()],
    ['encoded twice', encodeURIComponent(encodeURIComponent(SECRET))],
    ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
    ['HTML entities', html(SECRET)],
    ['mixed: half raw, half encoded', SECRET.slice(0, 6) + encodeURIComponent(SECRET.slice(6))],
  ])('replaces the secret written %s', (_, written) => {
    expect(redactSecrets(`before ${written} after`, [SECRET])).toBe(`before ${REDACTED} after`)
  })

  it('replaces a secret that contains another one whole, and skips empty secrets', () => {
    expect(redactSecrets('x=abcdef;y=abc', ['abc', 'abcdef', ''])).toBe(
      `x=${REDACTED};y=${REDACTED}`,
    )
  })
})

describe('redactTokenLikeRuns', () => {
  it('replaces long random runs, keeps prose, field names and paths', () => {
    expect(
      redactTokenLikeRuns(
        'grant_type=authorization_code refresh_token=rt_AbCdEf0123456789ghIJklMN see //docs.bolt.com/oauth-errors',
      ),
    ).toBe(
      `grant_type=authorization_code refresh_token=${REDACTED} see //docs.bolt.com/oauth-errors`,
    )
  })
})

describe('quoteServerText', () => {
  it('redacts before shortening, so no half of a secret survives the cut', () => {
    const secret = 'sk_live+0123456789abcdefghijklmnop'
    const quoted = quoteServerText(`${'x '.repeat(90)}${encodeURIComponent(secret)}`, [secret], 200)
    expect(quoted.endsWith(REDACTED)).toBe(true)
    expect(quoted).not.toContain('sk_live')
  })
})
