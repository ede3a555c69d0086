// A small loopback "Bolt" for the identity tests: the discovery document, the JWKS and a token
// endpoint whose code exchange answers with whatever ID token the test chose. It lets a test
// hand the manager a forged token through the same path a real one takes (exchangeCode), and
// is closed (held connections included) when the test that started it finishes.
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

/** How the fake answers its discovery and JWKS routes. */
export interface FakeBoltOptions {
  /** The discovery document's `issuer`. @default the fake's own URL */
  issuer?: (url: string) => string
  /** The discovery document's `jwks_uri`. @default `${url}/v3/oauth/jwks.json` */
  jwksUri?: (url: string) => string
  /** The JWKS document. */
  jwks: () => unknown
  /** How long the JWKS route waits before answering, in milliseconds. */
  jwksDelayMs?: number
}

/** A running fake Bolt. */
export interface FakeBolt {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Requests received per path. */
  readonly hits: Record<string, number>
  /** A single-use code whose exchange answers with `idToken` (none when `undefined`). */
  issue(idToken: string | undefined, scope?: string): string
}

/** Starts a fake Bolt on a free loopback port. */
export async function startFakeBolt(options: FakeBoltOptions): Promise<FakeBolt> {
  const hits: Record<string, number> = {}
  const codes = new Map<string, { idToken: string | undefined; scope: string }>()
  let url = ''
  let counter = 0
  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body))
  }
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', url).pathname
    hits[path] = (hits[path] ?? 0) + 1
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (path === '/.well-known/openid-configuration') {
        json(response, 200, {
          issuer: options.issuer?.(url) ?? url,
          authorization_endpoint: `${url}/v3/oauth/authorize`,
          token_endpoint: `${url}/v3/oauth/token`,
          jwks_uri: options.jwksUri?.(url) ?? `${url}/v3/oauth/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
        })
      } else if (path === '/v3/oauth/jwks.json') {
        setTimeout(() => json(response, 200, options.jwks()), options.jwksDelayMs ?? 0)
      } else if (path === '/v1/oauth/token') {
        answerToken(response, new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
      } else {
        json(response, 404, { error: 'not_found' })
      }
    })
  })
  function answerToken(response: ServerResponse, form: URLSearchParams) {
    counter += 1
    const tokens = { access_token: `at_${counter}`, refresh_token: `rt_${counter}` }
    if (form.get('grant_type') === 'refresh_token') {
      json(response, 200, {
        ...tokens,
        expires_in: 3600,
        scope: 'bolt.account.view',
        token_type: 'bearer',
      })
      return
    }
    const issued = codes.get(form.get('code') ?? '')
    codes.delete(form.get('code') ?? '')
    if (issued === undefined) {
      json(response, 422, { error: 'invalid_grant', error_description: 'unknown code' })
      return
    }
    json(response, 200, {
      ...tokens,
      expires_in: 3600,
      scope: issued.scope,
      token_type: 'bearer',
      ...(issued.idToken === undefined ? {} : { id_token: issued.idToken }),
    })
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url,
    hits,
    issue(idToken, scope = 'bolt.account.manage openid') {
      const code = `code_${codes.size}_${Math.random().toString(36).slice(2)}`
      codes.set(code, { idToken, scope })
      return code
    },
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
