/**
 * `npm run playground`: the token lifecycle, live in a browser.
 *
 * Starts the Bolt emulator and a small example backend (node:http, memory store) on a loopback
 * port, and serves a page with the machine's diagram (the current state highlighted), the
 * session's status, the transition log and one button per shopper action. Updates reach the
 * page over Server-Sent Events (`/events`); the page never polls. Nothing leaves the machine:
 * Mermaid is served from node_modules and the page's Content-Security-Policy allows only this
 * origin. Nothing reaches it from elsewhere either: it answers only requests addressed to a
 * loopback name (`Host`, against DNS rebinding), and its buttons only same-origin JSON requests.
 *
 * Run it: `npm run playground` (`PORT=8080 npm run playground` to choose the port).
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { checkLocalRequest } from 'bolt-token-lifecycle/emulator'
import { ACTIONS, type ActionName, type PlaygroundMessage, startBackend } from './backend.js'

/** Options of {@link startPlayground}. */
export interface PlaygroundOptions {
  /**
   * The loopback port to listen on; `0` picks a free one.
   * @default 0
   */
  port?: number
}

/** A running playground. */
export interface Playground {
  /** The page's address, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  url: string
  /** Closes the page connections, the server and the emulator. */
  close(): Promise<void>
}

const HOST = '127.0.0.1'
/** Keeps idle event streams open through proxies and lets a closed page be noticed. */
const HEARTBEAT_MS = 15_000

const SECURITY_HEADERS = {
  // Mermaid puts <style> elements into its SVG, hence 'unsafe-inline' for styles only.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

async function loadAssets(): Promise<Record<string, { type: string; body: Buffer }>> {
  const here = (name: string) => fileURLToPath(new URL(name, import.meta.url))
  const mermaid = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js')
  const [page, app, mermaidJs] = await Promise.all([
    readFile(here('page.html')),
    readFile(here('app.js')),
    readFile(mermaid),
  ])
  return {
    '/': { type: 'text/html; charset=utf-8', body: page },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: app },
    '/vendor/mermaid.min.js': { type: 'text/javascript; charset=utf-8', body: mermaidJs },
  }
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer) {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'cache-control': 'no-store',
  })
  response.end(body)
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body))
}

/**
 * Starts the playground on a loopback port.
 *
 * @example
 * ```ts
 * const playground = await startPlayground()
 * console.log(playground.url) // open it in a browser
 * await playground.close()
 * ```
 */
export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const assets = await loadAssets()
  const streams = new Set<ServerResponse>()
  const frame = (message: PlaygroundMessage) => `data: ${JSON.stringify(message)}\n\n`
  const backend = await startBackend((message) => {
    const data = frame(message)
    for (const stream of streams) stream.write(data)
  })

  const openStream = (response: ServerResponse) => {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    // Written and joined in one synchronous step: no message is missed or sent twice.
    response.write(`retry: 1000\n\n${frame(backend.snapshot())}`)
    streams.add(response)
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS)
    heartbeat.unref()
    response.on('close', () => {
      clearInterval(heartbeat)
      streams.delete(response)
    })
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    // A loopback Host on every route, the event stream too (a DNS-rebound page must not read
    // it); a JSON, same-origin request to press a button.
    const refusal = checkLocalRequest(request.method ?? 'GET', request.headers, 'control')
    if (refusal !== undefined) {
      sendJson(response, refusal.status, {
        error: refusal.error,
        error_description: refusal.description,
      })
      return
    }
    const asset = assets[path]
    if (request.method === 'GET' && asset !== undefined) {
      send(response, 200, asset.type, asset.body)
      return
    }
    if (request.method === 'GET' && path === '/favicon.ico') {
      response.writeHead(204, SECURITY_HEADERS).end()
      return
    }
    if (request.method === 'GET' && path === '/events') {
      openStream(response)
      return
    }
    const action = /^\/api\/([a-z]+)$/.exec(path)?.[1]
    if (action !== undefined && (ACTIONS as readonly string[]).includes(action)) {
      // A custom header: a cross-site form cannot send it, so another page cannot press buttons.
      if (request.method !== 'POST' || request.headers['x-playground'] !== '1') {
        sendJson(response, 405, { error: 'POST with the header X-Playground: 1' })
        return
      }
      const outcome = await backend.run(action as ActionName)
      sendJson(response, 200, outcome)
      return
    }
    sendJson(response, 404, { error: `No route for ${request.method} ${path}` })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Library errors are secret-free; print only what kind of failure it was, never a body.
      const { name, code } = error as { name?: string; code?: string }
      console.error(
        `playground: ${request.method} ${request.url} failed: ${code ?? name ?? 'error'}`,
      )
      if (!response.headersSent) sendJson(response, 500, { error: code ?? 'internal error' })
      else response.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo

  let closing: Promise<void> | undefined
  return {
    url: `http://${HOST}:${port}`,
    close() {
      closing ??= (async () => {
        for (const stream of streams) stream.end()
        streams.clear()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        await backend.close()
      })()
      return closing
    },
  }
}

function portFromEnv(): number {
  const raw = process.env.PORT
  if (raw === undefined || raw === '') return 0
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`)
  }
  return port
}

async function main(): Promise<void> {
  const playground = await startPlayground({ port: portFromEnv() })
  console.log(`Playground on ${playground.url}`)
  console.log('Press Ctrl+C to stop.')
  const stop = () => {
    playground.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
