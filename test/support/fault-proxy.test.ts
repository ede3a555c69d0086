// Self-test of the fault proxy (tcp-proxy.ts): every mode against a tiny echo server, then in
// front of HTTP (the Bolt emulator).
import { once } from 'node:events'
import { request } from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { logIn, managerFor, startEmulator } from './harness.js'
import { type FaultProxy, startFaultProxy, startTcpProxy } from './tcp-proxy.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** An echo server that records when each chunk arrived (performance.now()). */
async function startEcho() {
  const sockets = new Set<Socket>()
  const arrivals: { at: number; text: string }[] = []
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      arrivals.push({ at: performance.now(), text: chunk.toString() })
      socket.write(chunk)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  return { port, arrivals, accepted: () => sockets.size }
}

async function proxyTo(echo: { port: number }): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: echo.port })
  cleanups.push(() => proxy.close())
  return proxy
}

/** A client socket that records what it received and how it ended. */
async function client(port: number) {
  const socket = connect({ host: '127.0.0.1', port })
  cleanups.push(() => {
    socket.destroy()
  })
  let text = ''
  const state = { error: undefined as (Error & { code?: string }) | undefined, closed: false }
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  socket.on('error', (error) => {
    state.error = error
  })
  socket.on('close', () => {
    state.closed = true
  })
  await once(socket, 'connect')
  return {
    socket,
    state,
    received: () => text,
    /** Resolves with the time the received text first reached `expected`. */
    async until(expected: string, timeoutMs = 2_000): Promise<number> {
      const deadline = performance.now() + timeoutMs
      while (text.length < expected.length) {
        if (performance.now() > deadline || state.closed) {
          throw new Error(`received ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`)
        }
        const left = Math.max(1, Math.ceil(deadline - performance.now()))
        await once(socket, 'data', { signal: AbortSignal.timeout(left) })
      }
      const at = performance.now()
      expect(text).toBe(expected)
      return at
    },
  }
}

describe('fault proxy in front of an echo server', () => {
  it('pass: bytes go both ways unchanged, and the connection is counted', async () => {
    const echo = await startEcho()
    const proxy = await proxyTo(echo)
    expect(proxy.url).toBe(`tcp://127.0.0.1:${proxy.port}`)
    const c = await client(proxy.port)
    c.socket.write('hello')
    await c.until('hello')
    const big = 'x'.repeat(256 * 1024)
    c.socket.write(big)
    await c.until(`hello${big}`)
    expect(proxy.mode).toBe('pass')
    expect(proxy.connections()).toBe(1)
    c.socket.end()
    await expect.poll(() => proxy.connections()).toBe(0)
  })

  it('delay(ms): every chunk reaches the server at least ms late, and the answer at least ms later', async () => {
    const echo = await startEcho()
    const proxy = await proxyTo(echo)
    const c = await client(proxy.port)
    proxy.setMode({ delay: 120 })
    expect(proxy.mode).toEqual({ delay: 120 })

    const sent = performance.now()
    c.socket.write('ping')
    const answered = await c.until('ping')
    const arrived = echo.arrivals[0]?.at ?? Number.NaN
    // 1 ms of slack: timers and performance.now() round differently.
    expect(arrived - sent).toBeGreaterThanOrEqual(119)
    expect(answered - arrived).toBeGreaterThanOrEqual(119)
    expect(answered - sent).toBeGreaterThanOrEqual(239)
  })

  it('delay keeps the order of chunks when the delay changes or the mode goes back to pass', async () => {
    const echo = await startEcho()
    const proxy = await proxyTo(echo)
    const c = await client(proxy.port)
    proxy.setMode({ delay: 150 })
    c.socket.write('a')
    await sleep(10)
    proxy.setMode({ delay: 5 })
    c.socket.write('b')
    await sleep(10)
    proxy.setMode('pass')
    c.socket.write('c')
    await c.until('abc')
    expect(echo.arrivals.map((arrival) => arrival.text).join('')).toBe('abc')
  })

  it('blackhole: no bytes either way, the socket stays open (old and new connections); leaving it closes the held ones', async () => {
    const echo = await startEcho()
    const proxy = await proxyTo(echo)
    const before = await client(proxy.port)
    before.socket.write('1')
    await before.until('1')
    proxy.setMode('blackhole')

    const during = await client(proxy.port)
    before.socket.write('2')
    during.socket.write('3')
    during.socket.end() // a FIN is held too
    await sleep(300)
    expect(before.received()).toBe('1')
    expect(during.received()).toBe('')
    for (const held of [before, during]) {
      expect(held.state.closed).toBe(false)
      expect(held.state.error).toBeUndefined()
    }
    expect(echo.arrivals.map((arrival) => arrival.text)).toEqual(['1'])
    // Only the connection from before reached the server.
    expect(echo.accepted()).toBe(1)
    expect(proxy.connections()).toBe(2)

    proxy.setMode('pass')
    await expect.poll(() => before.state.closed && during.state.closed).toBe(true)
    expect(proxy.connections()).toBe(0)
    const after = await client(proxy.port)
    after.socket.write('4')
    await after.until('4')
  })

  it('reset: open connections get ECONNRESET, new ones too; pass accepts them again', async () => {
    const echo = await startEcho()
    const proxy = await proxyTo(echo)
    const open = await client(proxy.port)
    open.socket.write('1')
    await open.until('1')

    proxy.setMode('reset')
    await expect.poll(() => open.state.error?.code).toBe('ECONNRESET')
    const fresh = connect({ host: '127.0.0.1', port: proxy.port })
    cleanups.push(() => {
      fresh.destroy()
    })
    const [error] = (await once(fresh, 'error')) as [Error & { code?: string }]
    expect(error.code).toBe('ECONNRESET')
    expect(proxy.connections()).toBe(0)

    proxy.setMode('pass')
    const again = await client(proxy.port)
    again.socket.write('2')
    await again.until('2')
  })

  it('cut refuses connections and drops open ones; restore listens again on the same port', async () => {
    const echo = await startEcho()
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port })
    cleanups.push(() => proxy.close())
    const port = proxy.port
    const open = await client(port)

    await proxy.cut()
    await expect.poll(() => open.state.closed).toBe(true)
    const refused = connect({ host: '127.0.0.1', port })
    const [error] = (await once(refused, 'error')) as [Error & { code?: string }]
    expect(error.code).toBe('ECONNREFUSED')

    await proxy.restore()
    expect(proxy.port).toBe(port)
    const again = await client(port)
    again.socket.write('back')
    await again.until('back')
  })

  it('rejects a delay that is not a non-negative number', async () => {
    const proxy = await proxyTo(await startEcho())
    expect(() => proxy.setMode({ delay: -1 })).toThrow(/delay/)
    expect(() => proxy.setMode({ delay: Number.NaN })).toThrow(/delay/)
    expect(proxy.mode).toBe('pass')
  })
})

/** GET over a new connection each time (no keep-alive pool to reuse a dying socket). */
function get(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })))
    req.on('error', reject)
    req.end()
  })
}

describe('fault proxy in front of HTTP (the Bolt emulator)', () => {
  it('pass and delay forward HTTP; blackhole times out; reset fails with ECONNRESET', async () => {
    const bolt = await startEmulator()
    const proxy = await startFaultProxy(bolt.url)
    cleanups.push(() => proxy.close())
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`)
    const account = `${proxy.url}/v1/account`

    // No API key: the emulator answers 403, through the proxy.
    expect(await get(account)).toBe(403)

    proxy.setMode({ delay: 100 })
    const started = performance.now()
    expect(await get(account)).toBe(403)
    expect(performance.now() - started).toBeGreaterThanOrEqual(199)

    proxy.setMode('blackhole')
    await expect(get(account, 300)).rejects.toMatchObject({ code: 'TIMEOUT' })

    proxy.setMode('reset')
    await expect(get(account)).rejects.toMatchObject({ code: 'ECONNRESET' })

    proxy.setMode('pass')
    expect(await get(account)).toBe(403)
  })

  it('a token manager logs in through it, slowed down by delay', async () => {
    const bolt = await startEmulator()
    const proxy = await startFaultProxy(bolt.url)
    cleanups.push(() => proxy.close())
    const tokens = managerFor(bolt, createFetchTransport(), { baseUrl: proxy.url })

    await logIn(bolt, tokens, 's1')
    expect((await tokens.getStatus('s1')).state).toBe('fullyScoped')

    proxy.setMode({ delay: 100 })
    const started = performance.now()
    await logIn(bolt, tokens, 's2')
    expect(performance.now() - started).toBeGreaterThanOrEqual(199)
    expect((await tokens.getStatus('s2')).state).toBe('fullyScoped')
    expect(bolt.stats.codeExchanges).toBe(2)
  })
})
