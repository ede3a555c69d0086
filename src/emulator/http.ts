import type { IncomingMessage, ServerResponse } from 'node:http'

/** An HTTP answer computed by a route, written by the server (or withheld by a fault). */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: string
}

/** A JSON reply with `Content-Type: application/json`. */
export function jsonReply(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  }
}

/** An OAuth-style error reply: `{"error": …, "error_description": …}`. */
export function errorReply(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Reply {
  return jsonReply(status, { error, error_description: description }, headers)
}

/** A reply with an empty body and no `Content-Type` (Bolt's `DELETE` routes answer `200` so). */
export function emptyReply(status: number): Reply {
  return { status, headers: {}, body: '' }
}

/** An empty `204 No Content` reply. */
export function noContentReply(): Reply {
  return { status: 204, headers: {}, body: '' }
}

/** Thrown by {@link readBody} when the body exceeds its limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError'
}

/**
 * Reads a request body as UTF-8. A body over `limitBytes` is drained and
 * discarded, then rejected with {@link BodyTooLargeError}, so the connection
 * is still there to carry the 413.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limitBytes) chunks.push(chunk)
    })
    req.once('end', () => {
      if (size > limitBytes)
        reject(new BodyTooLargeError(`Request body exceeds ${limitBytes} bytes`))
      else resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.once('error', reject)
    req.once('close', () => {
      if (!req.complete) reject(new Error('The client closed the connection mid-request'))
    })
  })
}

/** Writes `reply` unless the connection is already gone. Returns whether it was written. */
export function sendReply(res: ServerResponse, reply: Reply): boolean {
  if (res.destroyed || res.socket === null || res.socket.destroyed) return false
  const headers: Record<string, string | number> = { ...reply.headers }
  if (reply.status !== 204) headers['content-length'] = Buffer.byteLength(reply.body)
  res.writeHead(reply.status, headers)
  res.end(reply.status === 204 ? undefined : reply.body)
  return true
}
