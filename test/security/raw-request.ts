// Sends one HTTP request over loopback with exactly the headers given — `Host` and `Origin`
// included, which a browser sets and fetch() would not let a test forge.
import { request } from 'node:http'

/** An answer; an event stream's body is not read (it never ends). */
export interface RawAnswer {
  status: number
  contentType: string
  body: string
  json: Record<string, unknown>
}

/** What to send to `127.0.0.1:port`. */
export interface RawRequest {
  method?: string
  path: string
  headers: Record<string, string>
  body?: string
}

/** Sends `raw` to the server listening on `127.0.0.1:port`, whatever `Host` it names. */
export function rawRequest(port: number, raw: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: raw.method ?? 'GET',
        path: raw.path,
        headers: raw.headers,
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0
        const contentType = res.headers['content-type'] ?? ''
        if (contentType.startsWith('text/event-stream')) {
          res.destroy()
          resolve({ status, contentType, body: '', json: {} })
          return
        }
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => {
          let json: Record<string, unknown> = {}
          try {
            json = JSON.parse(body) as Record<string, unknown>
          } catch {
            // not JSON: callers read `body`
          }
          resolve({ status, contentType, body, json })
        })
      },
    )
    req.on('error', reject)
    req.end(raw.body)
  })
}
