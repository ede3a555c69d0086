// From the attacker's side: a server (or a WAF in front of Bolt) that echoes the token request
// back. It stands in for Bolt's token endpoint on loopback and answers with the raw form body
// (and other encodings of it) in `error_description`, in `error`, or as a text body. Nothing the
// request carried — the API key, the code, the refresh token — nor the access token may come
// out of the manager in any encoding: not in the error, `util.inspect` of it, `getStatus()`,
// the logs or the lifecycle events.
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../adapters/storage/memory.js'
import { isBoltTokenError } from '../../src/errors.js'
import { createTokenManager } from '../../src/manager/token-manager.js'
import { rejection } from '../support/rejection.js'

/** Holds `+`, `/`, `=` and a space, so raw, URL-encoded and form-encoded forms all differ. */
const CLIENT_SECRET = 'sk_test+Echo/Key= with space~42'
const CLIENT_ID = 'pk_test_echo'
const SESSION = 'shopper-1'
const HOUR_MS = 3_600_000

/** A random token with `+`, `/` and `=` in it (standard base64), as some servers issue. */
function token(prefix: string): string {
  return `${prefix}${randomBytes(30).toString('base64')}+/=`
}

const lowerEscapes = (text: string) => text.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)
const unicodeEscape = (value: string) =>
  [...value]
    .map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
    .join('')

/** Every form a value may be echoed in; none may appear in anything the manager outputs. */
function encodings(value: string): string[] {
  const forms = [
    value,
    encodeURIComponent(value),
    formEncode(value),
    lowerEscapes(encodeURIComponent(value)),
    lowerEscapes(formEncode(value)),
    encodeURIComponent(encodeURIComponent(value)),
    encodeURIComponent(formEncode(value)),
    JSON.stringify(value).slice(1, -1),
    unicodeEscape(value),
  ]
  return [...new Set(forms)]
}

/** How the server echoes a request body it refuses. */
interface Echo {
  name: string
  status: number
  contentType: string
  body(form: string): string
}

const oauthError = (description: (form: string) => string, error = 'invalid_request') => ({
  status: 400,
  contentType: 'application/json',
  body: (form: string) => JSON.stringify({ error, error_description: description(form) }),
})

const ECHOES: Echo[] = [
  { name: 'the raw form body in error_description', ...oauthError((form) => form) },
  {
    name: 'the form body with lower-case percent-escapes',
    ...oauthError((form) => `Bad request: ${lowerEscapes(form)}`),
  },
  {
    name: 'the decoded fields, one per line, cut to 40 characters',
    ...oauthError((form) =>
      [...new URLSearchParams(form)].map(([k, v]) => `${k}: ${v.slice(0, 40)}`).join('\n'),
    ),
  },
  {
    name: 'the form body URL-encoded again',
    ...oauthError((form) => `rejected ${encodeURIComponent(form)}`),
  },
  {
    name: 'the fields as \\u-escaped JSON',
    ...oauthError((form) =>
      [...new URLSearchParams(form)].map(([k, v]) => `"${k}":"${unicodeEscape(v)}"`).join(','),
    ),
  },
  {
    name: 'the form body in the `error` field',
    status: 400,
    contentType: 'application/json',
    body: (form: string) => JSON.stringify({ error: form, error_description: form }),
  },
  {
    name: 'the form body as a text/plain page',
    status: 403,
    contentType: 'text/plain',
    body: (form: string) => `Request blocked by WAF. Request body: ${form}`,
  },
]

/** A loopback token endpoint: issues tokens for a code exchange, or echoes with `echo`. */
function startEchoServer() {
  const state = { echo: undefined as Echo | undefined, issued: [] as string[] }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      const echo = state.echo
      if (echo !== undefined) {
        res.writeHead(echo.status, { 'content-type': echo.contentType })
        res.end(echo.body(body))
        return
      }
      const tokens = { access_token: token('at_'), refresh_token: token('rt_') }
      state.issued.push(tokens.access_token, tokens.refresh_token)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          ...tokens,
          token_type: 'bearer',
          expires_in: 3600,
          scope: 'bolt.account.manage bolt.account.view openid',
        }),
      )
    })
  })
  return { server, state }
}

let echoServer: ReturnType<typeof startEchoServer>
let baseUrl: string
beforeAll(async () => {
  echoServer = startEchoServer()
  await new Promise<void>((resolve) => echoServer.server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(echoServer.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  echoServer.server.closeAllConnections()
  await new Promise((resolve) => echoServer.server.close(resolve))
})

/** A manager against the echo server, with everything it outputs captured as text. */
function echoManager() {
  let now = Date.parse('2030-01-01T00:00:00Z')
  const output: string[] = []
  const capture = (fields: Record<string, unknown>, message: string) =>
    output.push(`${message} ${inspect(fields, { depth: 8 })} ${JSON.stringify(fields)}`)
  const tokens = createTokenManager({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    baseUrl,
    clock: () => now,
    store: createMemoryStore({ clock: () => now }),
    retry: false,
    logger: { debug: capture, info: capture, warn: capture, error: capture },
  })
  tokens.subscribe((event) => output.push(inspect(event, { depth: 8 }), JSON.stringify(event)))
  return { tokens, output, advance: (ms: number) => (now += ms) }
}

/** Everything about a failure that could reach a log line, a page or an error tracker. */
async function everythingSaid(
  error: unknown,
  tokens: ReturnType<typeof echoManager>['tokens'],
  output: string[],
): Promise<string> {
  const status = await tokens.getStatus(SESSION)
  return [
    String(error),
    (error as Error).message,
    inspect(error, { depth: 8 }),
    JSON.stringify(error),
    JSON.stringify(status),
    inspect(status, { depth: 8 }),
    ...output,
  ].join('\n')
}

/**
 * Each secret found in `text`, in any encoding; for random values (tokens, codes) their first
 * 24 characters too, which an echo that cuts values short would leave.
 */
function leaked(text: string, secrets: Record<string, string>, random: string[]): string[] {
  return Object.entries(secrets).flatMap(([name, value]) =>
    [...encodings(value), ...(random.includes(name) ? [value.slice(0, 24)] : [])]
      .filter((form) => text.includes(form))
      .map((form) => `${name} as ${JSON.stringify(form)}`),
  )
}

describe('a token endpoint that echoes the request', () => {
  it('code exchange: no API key, code or state in the error, its inspection, the status, logs or events, whatever the echo', async () => {
    const leaks: string[] = []
    for (const echo of ECHOES) {
      const { tokens, output } = echoManager()
      const code = `code_${randomBytes(24).toString('base64')}`
      const state = 'state+/=Zq9'
      echoServer.state.echo = echo
      const error = await rejection(
        tokens.exchangeCode(SESSION, { code, state, expectedState: state }),
      )
      echoServer.state.echo = undefined

      expect(isBoltTokenError(error), echo.name).toBe(true)
      expect((error as { status?: number }).status, echo.name).toBe(echo.status)
      const said = await everythingSaid(error, tokens, output)
      const secrets = { clientSecret: CLIENT_SECRET, code, state }
      leaks.push(...leaked(said, secrets, ['code']).map((leak) => `${echo.name}: ${leak}`))
    }
    expect(leaks).toEqual([])
  })

  it('refresh: no API key, refresh or access token in the error, lastError, logs or events, whatever the echo', async () => {
    const leaks: string[] = []
    for (const echo of ECHOES) {
      const { tokens, output, advance } = echoManager()
      await tokens.exchangeCode(SESSION, { code: 'code_first' })
      const [accessToken = '', refreshToken = ''] = echoServer.state.issued.slice(-2)
      advance(HOUR_MS + 60_000)
      echoServer.state.echo = echo
      const error = await rejection(tokens.getAccessToken(SESSION))
      echoServer.state.echo = undefined

      expect(isBoltTokenError(error), echo.name).toBe(true)
      const status = await tokens.getStatus(SESSION)
      expect(status.lastError?.message, echo.name).toBe((error as Error).message)
      const said = await everythingSaid(error, tokens, output)
      const secrets = { clientSecret: CLIENT_SECRET, accessToken, refreshToken }
      const random = ['accessToken', 'refreshToken']
      leaks.push(...leaked(said, secrets, random).map((leak) => `${echo.name}: ${leak}`))
    }
    expect(leaks).toEqual([])
  })

  it('still quotes what the server said around the redacted values', async () => {
    const { tokens } = echoManager()
    echoServer.state.echo = ECHOES[0]
    const error = await rejection(
      tokens.exchangeCode(SESSION, { code: 'code_AbC123+/=xyz', state: 's1', expectedState: 's1' }),
    )
    echoServer.state.echo = undefined
    expect((error as Error).message).toContain(
      `Bolt's token endpoint answered the code exchange with status 400, invalid_request: "client_id=${CLIENT_ID}&client_secret=[redacted]&grant_type=authorization_code&scope=`,
    )
  })
})
