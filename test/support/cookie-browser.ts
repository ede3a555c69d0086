/**
 * A tiny browser for driving the framework examples over HTTP: `fetch` with a cookie jar,
 * keeping every answer (body and headers) in `seen` so that tests can scan them for secrets.
 */

/** One answer, as the browser saw it. */
export interface BrowserAnswer {
  status: number
  headers: Headers
  text: string
  /** The body parsed as JSON, or the text when it is not JSON. */
  json: unknown
  setCookie: string[]
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Creates a browser on `baseUrl`; every answer's text and headers are pushed to `seen`. */
export function createBrowser(baseUrl: string, seen: string[]) {
  const jar = new Map<string, string>()
  async function send(method: string, path: string, body?: string): Promise<BrowserAnswer> {
    const headers: Record<string, string> = {}
    if (jar.size > 0)
      headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const setCookie = response.headers.getSetCookie()
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';')
      const name = pair.slice(0, pair.indexOf('=')).trim()
      const value = pair.slice(pair.indexOf('=') + 1).trim()
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name)
      else jar.set(name, value)
    }
    const text = await response.text()
    seen.push(text, JSON.stringify([...response.headers]))
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: parse(text),
      setCookie,
    }
  }
  return {
    jar,
    get: (path: string) => send('GET', path),
    post: (path: string, body?: unknown) =>
      send('POST', path, body === undefined ? undefined : JSON.stringify(body)),
    postRaw: (path: string, body: string) => send('POST', path, body),
  }
}
