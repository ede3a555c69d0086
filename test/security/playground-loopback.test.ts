// From the attacker's side: a page on evil.example that rebinds its name to 127.0.0.1 and so
// reaches the playground as same-origin (Host: evil.example:PORT), or posts to it cross-site.
// It must neither read the event stream nor press a button; the Bolt clock shows whether a
// button was pressed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Playground, startPlayground } from '../../examples/playground/server.js'
import { type RawAnswer, rawRequest } from './raw-request.js'

const EVIL = 'http://evil.example'
const CLOCK_STEP_MS = 61 * 60_000

let playground: Playground
let port: number
beforeAll(async () => {
  playground = await startPlayground()
  port = Number(new URL(playground.url).port)
})
afterAll(() => playground.close())

const here = () => `127.0.0.1:${port}`
const button = { 'x-playground': '1', 'content-type': 'application/json' }

/** The Bolt clock, from the first message of a loopback event stream. */
async function boltClock(): Promise<number> {
  const response = await fetch(`${playground.url}/events`)
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!/^data: .*\n\n/m.test(text)) {
    const { value } = await reader.read()
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel()
  const data = /^data: (.*)$/m.exec(text)?.[1] ?? '{}'
  return (JSON.parse(data) as { status: { clock: number } }).status.clock
}

function expectRefused(answer: RawAnswer, status: number, error: string): void {
  expect({
    status: answer.status,
    contentType: answer.contentType,
    error: answer.json.error,
  }).toEqual({ status, contentType: 'application/json; charset=utf-8', error })
}

describe('the playground under DNS rebinding (Host: evil.example)', () => {
  it('refuses the event stream, the page and the buttons with 421; the clock does not move', async () => {
    const host = `evil.example:${port}`
    const before = await boltClock()
    expectRefused(
      await rawRequest(port, { path: '/events', headers: { host } }),
      421,
      'misdirected_request',
    )
    expectRefused(
      await rawRequest(port, { path: '/', headers: { host } }),
      421,
      'misdirected_request',
    )
    const pressed = await rawRequest(port, {
      method: 'POST',
      path: '/api/advance',
      headers: { host, origin: `http://evil.example:${port}`, ...button },
      body: '{}',
    })
    expectRefused(pressed, 421, 'misdirected_request')
    expect((await boltClock()) - before).toBeLessThan(CLOCK_STEP_MS)
  })
})

describe('the playground’s buttons, cross-site', () => {
  it('refuse a text/plain POST from another origin with 403, a non-JSON one with 415; a same-origin JSON one moves the clock', async () => {
    const before = await boltClock()
    const crossSite = await rawRequest(port, {
      method: 'POST',
      path: '/api/advance',
      headers: { host: here(), origin: EVIL, 'content-type': 'text/plain;charset=UTF-8' },
      body: '{}',
    })
    expectRefused(crossSite, 403, 'forbidden_origin')
    const notJson = await rawRequest(port, {
      method: 'POST',
      path: '/api/advance',
      headers: { host: here(), 'x-playground': '1', 'content-type': 'text/plain' },
      body: '{}',
    })
    expectRefused(notJson, 415, 'unsupported_media_type')
    expect((await boltClock()) - before).toBeLessThan(CLOCK_STEP_MS)

    const sameOrigin = await rawRequest(port, {
      method: 'POST',
      path: '/api/advance',
      headers: { host: here(), origin: `http://${here()}`, ...button },
      body: '{}',
    })
    expect(sameOrigin.status).toBe(200)
    expect((await boltClock()) - before).toBeGreaterThanOrEqual(CLOCK_STEP_MS)
  })
})
