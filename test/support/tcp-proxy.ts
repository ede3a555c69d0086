// A loopback TCP fault proxy for tests: put it between a client and a server (Redis, the Bolt
// emulator, anything on TCP) and switch what the network does at run time.
//
//   pass        forward every chunk as it comes (the default);
//   { delay }   forward every chunk `delay` ms after it arrived, in both directions, in order;
//   blackhole   accept and hold connections; forward nothing, answer nothing, close nothing;
//   reset       reset (RST) every open connection now, and every new one on accept.
//
// `cut()` / `restore()` stop and resume listening on the same port (new connections are then
// refused, open ones are dropped); `close()` ends the proxy.
import { connect, createServer, type Server, type Socket } from 'node:net'

/** What the proxy does to the bytes and connections it carries. */
export type FaultMode = 'pass' | 'blackhole' | 'reset' | { delay: number }

/** Where the proxy forwards to: a URL (`redis://…`, `http://…`) or a host and port. */
export type FaultProxyTarget = string | { host: string; port: number; scheme?: string }

/** A running fault proxy. */
export interface FaultProxy {
  /** Always 127.0.0.1. */
  readonly host: string
  /** The port the proxy listens on (the same after `restore()`). */
  readonly port: number
  /**
   * The target's URL with the proxy's host and port (credentials, database and path kept), e.g.
   * `redis://127.0.0.1:41234` or `http://127.0.0.1:41235`; `tcp://127.0.0.1:…` when the target
   * was a host and port without a scheme.
   */
  readonly url: string
  /** The current mode. */
  readonly mode: FaultMode
  /**
   * Switches the mode, at once, for open and new connections.
   *
   * Leaving `blackhole` destroys every connection that was open during it: bytes were dropped,
   * so its stream cannot be resumed (a Redis client would match replies to the wrong commands).
   * Clients see the connection close and reconnect. Chunks delayed by `{ delay }` keep their
   * order when the delay changes or the mode goes back to `pass`.
   */
  setMode(mode: FaultMode): void
  /** Open client connections, held ones included. */
  connections(): number
  /** Stops listening (new connections are refused) and drops every open connection. */
  cut(): Promise<void>
  /** Listens again, on the same port. */
  restore(): Promise<void>
  /** Drops every connection and stops listening for good. Idempotent. */
  close(): Promise<void>
}

/** The former name of {@link FaultProxy}. */
export type TcpProxy = FaultProxy

const defaultPorts: Record<string, number> = {
  'redis:': 6379,
  'rediss:': 6379,
  'http:': 80,
  'https:': 443,
}

function describeTarget(target: FaultProxyTarget): {
  host: string
  port: number
  urlFor: (port: number) => string
} {
  if (typeof target !== 'string') {
    const scheme = target.scheme ?? 'tcp'
    return { ...target, urlFor: (port) => `${scheme}://127.0.0.1:${port}` }
  }
  const parsed = new URL(target)
  const port = Number(parsed.port || defaultPorts[parsed.protocol] || Number.NaN)
  if (!Number.isInteger(port)) throw new Error(`startFaultProxy: no port in ${parsed.protocol} URL`)
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    urlFor: (proxyPort) => {
      const url = new URL(target)
      url.hostname = '127.0.0.1'
      url.port = String(proxyPort)
      const text = url.toString()
      // `new URL('http://h:1')` prints a trailing slash the target did not have.
      return target.endsWith('/') || !text.endsWith('/') ? text : text.slice(0, -1)
    },
  }
}

/** One direction of a connection: chunks wait until they are due, and leave in order. */
function createLane(write: (chunk: Buffer) => void, end: () => void) {
  const queue: { due: number; chunk: Buffer | null }[] = []
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    timer = undefined
    for (let head = queue[0]; head !== undefined; head = queue[0]) {
      const wait = head.due - performance.now()
      if (wait > 0) {
        timer = setTimeout(flush, Math.ceil(wait))
        return
      }
      queue.shift()
      if (head.chunk === null) end()
      else write(head.chunk)
    }
  }
  return {
    /** Sends `chunk` (`null`: the end of the stream) `delayMs` from now, after what is queued. */
    push(chunk: Buffer | null, delayMs: number) {
      queue.push({ due: performance.now() + delayMs, chunk })
      if (timer === undefined) flush()
    },
    /** Forgets everything queued. */
    clear() {
      queue.length = 0
      clearTimeout(timer)
      timer = undefined
    },
  }
}

interface Link {
  client: Socket
  /** `undefined` for a connection accepted in `blackhole`: it was never connected upstream. */
  upstream: Socket | undefined
  /** It was open during a blackhole: bytes were (or may have been) dropped. */
  held: boolean
  lanes: ReturnType<typeof createLane>[]
}

function reset(socket: Socket): void {
  if (socket.destroyed) return
  try {
    socket.resetAndDestroy()
  } catch {
    socket.destroy()
  }
}

/**
 * Starts a fault proxy on a free loopback port in front of `target`, in mode `pass`.
 *
 * @example
 * const proxy = await startFaultProxy(redisUrl)
 * const client = new Redis(proxy.url, { commandTimeout: 300, maxRetriesPerRequest: 0 })
 * proxy.setMode('blackhole') // commands time out
 * proxy.setMode({ delay: 50 }) // every chunk 50 ms late, each way
 */
export async function startFaultProxy(target: FaultProxyTarget): Promise<FaultProxy> {
  const { host, port: targetPort, urlFor } = describeTarget(target)
  const links = new Set<Link>()
  let mode: FaultMode = 'pass'
  let port = 0
  let server: Server | undefined
  let closed = false

  const delayOf = () => (typeof mode === 'object' ? mode.delay : 0)

  function drop(link: Link, how: 'reset' | 'destroy'): void {
    links.delete(link)
    for (const lane of link.lanes) lane.clear()
    if (how === 'reset') reset(link.client)
    else link.client.destroy()
    link.upstream?.destroy()
  }

  function wire(link: Link, from: Socket, lane: ReturnType<typeof createLane>): void {
    from.on('data', (chunk: Buffer) => {
      if (mode === 'blackhole') {
        link.held = true
        return
      }
      lane.push(chunk, delayOf())
    })
    from.on('end', () => {
      if (mode !== 'blackhole') lane.push(null, delayOf())
    })
    // A failed side fails the other: a reset from the server resets the client.
    from.on('error', () => {
      if (links.has(link)) drop(link, from === link.upstream ? 'reset' : 'destroy')
    })
  }

  function accept(client: Socket): void {
    client.on('error', () => {})
    if (mode === 'reset') {
      reset(client)
      return
    }
    const link: Link = { client, upstream: undefined, held: mode === 'blackhole', lanes: [] }
    links.add(link)
    // Forgotten once both sides have closed (each side ends after the other's end arrived).
    const forget = () => {
      if (!client.destroyed || link.upstream?.destroyed === false) return
      links.delete(link)
      for (const lane of link.lanes) lane.clear()
    }
    client.on('close', forget)
    if (mode === 'blackhole') {
      // Held: read and drop whatever arrives; never connect upstream, answer or close.
      client.on('data', () => {})
      return
    }
    const upstream = connect({ host, port: targetPort, allowHalfOpen: true })
    link.upstream = upstream
    upstream.on('close', forget)
    const toUpstream = createLane(
      (chunk) => upstream.write(chunk),
      () => upstream.end(),
    )
    const toClient = createLane(
      (chunk) => client.write(chunk),
      () => client.end(),
    )
    link.lanes.push(toUpstream, toClient)
    wire(link, client, toUpstream)
    wire(link, upstream, toClient)
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      if (closed) return reject(new Error('the fault proxy is closed'))
      if (server !== undefined) return resolve()
      const created = createServer({ allowHalfOpen: true }, accept)
      created.once('error', reject)
      created.listen(port, '127.0.0.1', () => {
        created.off('error', reject)
        const address = created.address()
        if (typeof address === 'object' && address !== null) port = address.port
        server = created
        resolve()
      })
    })

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const link of [...links]) drop(link, 'destroy')
      const listening = server
      server = undefined
      if (listening === undefined) return resolve()
      listening.close(() => resolve())
    })

  await listen()
  const url = urlFor(port)
  return {
    host: '127.0.0.1',
    get port() {
      return port
    },
    url,
    get mode() {
      return mode
    },
    setMode(next) {
      if (typeof next === 'object' && !(Number.isFinite(next.delay) && next.delay >= 0)) {
        throw new Error(`setMode: delay must be a non-negative number of ms, not ${next.delay}`)
      }
      const leavingBlackhole = mode === 'blackhole' && next !== 'blackhole'
      mode = typeof next === 'object' ? { delay: next.delay } : next
      for (const link of [...links]) {
        if (next === 'reset') drop(link, 'reset')
        else if (next === 'blackhole') {
          link.held = true
          for (const lane of link.lanes) lane.clear()
        } else if (leavingBlackhole && link.held) drop(link, 'destroy')
      }
    },
    connections: () => [...links].filter((link) => !link.client.destroyed).length,
    cut: stop,
    restore: listen,
    close: async () => {
      closed = true
      await stop()
    },
  }
}

/** The former name of {@link startFaultProxy} (host and port target, `cut()`/`restore()`). */
export const startTcpProxy: (target: { host: string; port: number }) => Promise<FaultProxy> =
  startFaultProxy

/** A loopback server that accepts connections and never answers: a Redis that hangs. */
export async function startBlackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
