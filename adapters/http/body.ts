/** Thrown by a transport when an answer's body is larger than the request allowed. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError'
  constructor(limit: number) {
    super(`the response body exceeded ${limit} bytes; the read was aborted`)
  }
}

/**
 * Reads a response body as text, aborting (and cancelling the stream) once it exceeds
 * `maxBytes`, so that a hostile or broken server cannot make us buffer without end.
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number | undefined,
): Promise<string> {
  if (maxBytes === undefined || response.body === null) return response.text()
  const length = response.headers.get('content-length')
  const declared = length === null ? Number.NaN : Number(length)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => {})
    throw new ResponseTooLargeError(maxBytes)
  }
  // A declared length within the cap bounds the body (the HTTP client enforces it): the
  // runtime's own text() is then both safe and faster than reading chunk by chunk.
  if (
    Number.isInteger(declared) &&
    declared >= 0 &&
    response.headers.get('content-encoding') === null
  ) {
    return response.text()
  }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new ResponseTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}
