// A loopback HTTP server that records every request it receives: the attacker's host in the
// tests of where tokens and secrets go (and, answering a redirect, a stand-in for Bolt). It
// is closed when the test that started it finishes.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

/** One request, as the sink received it. */
export interface SunkRequest {
  method: string
  /** The request target: path and query. */
  url: string
  /** Header names in lower case. */
  headers: IncomingHttpHeaders
  body: string
}

/** What the sink answers: a status with headers and body, or `'hang'` (never answer). */
export type SinkAnswer =
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'hang'

/** A running sink. */
export interface SinkServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  /** Every request received so far, in order. */
  readonly requests: readonly SunkRequest[]
}

/**
 * Starts a sink on a free loopback port, closed (held connections included) when the current
 * test finishes. By default it answers `200 {}`.
 */
export async function startSinkServer(
  answer: (request: SunkRequest) => SinkAnswer = () => ({ status: 200, body: '{}' }),
): Promise<SinkServer> {
  const requests: SunkRequest[] = []
  const reply = (response: ServerResponse, what: SinkAnswer) => {
    if (what === 'hang') return
    response.writeHead(what.status, { 'content-type': 'application/json', ...what.headers })
    response.end(what.body ?? '')
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const sunk: SunkRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(sunk)
      reply(response, answer(sunk))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, requests }
}
