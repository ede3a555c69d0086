/**
 * A transport that holds every token request until the test says how it ends, so that the
 * in-flight states (`codeExchange`, `refresh`) can be observed and their outcome chosen.
 * Released requests go to the real transport (and so to the real server).
 *
 * @module
 */
import type { HttpRequest, HttpResponse, HttpTransport } from '../contracts.js'

/**
 * A token request waiting at the gate.
 * @group Testing
 */
export interface HeldRequest {
  /** The form's `grant_type`. */
  grantType: string
  /** The form field `name` of the held request (e.g. `refresh_token`). */
  field(name: string): string | undefined
  /**
   * Sends the request on to the real transport. `scope` replaces the form's scope (e.g. to
   * have an exchange come back view-only).
   */
  release(options?: { scope?: string }): void
  /** Ends the request without sending it, as a connection failure would. */
  drop(): void
}

/**
 * The gated transport.
 * @group Testing
 */
export interface GatedTransport extends HttpTransport {
  /** The next request to arrive (or one that arrived and was not claimed yet). */
  nextRequest(timeoutMs?: number): Promise<HeldRequest>
  /** From now on, drops every held and every new request: for cleaning up after a test. */
  close(): void
}

interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

/**
 * Creates a gated transport in front of `inner`.
 * @group Testing
 */
export function createGatedTransport(inner: HttpTransport): GatedTransport {
  const unclaimed: HeldRequest[] = []
  const waiting: Deferred<HeldRequest>[] = []
  const open = new Set<HeldRequest>()
  let closed = false

  const connectionLost = () =>
    new TypeError('fetch failed: the gated transport dropped the request')

  return {
    send(request: HttpRequest): Promise<HttpResponse> {
      if (closed) return Promise.reject(connectionLost())
      const answer = deferred<HttpResponse>()
      const form = new URLSearchParams(request.body ?? '')
      let settled = false
      const held: HeldRequest = {
        grantType: form.get('grant_type') ?? '',
        field: (name) => form.get(name) ?? undefined,
        release(options = {}) {
          if (settled) return
          settled = true
          open.delete(held)
          if (options.scope !== undefined) form.set('scope', options.scope)
          inner.send({ ...request, body: form.toString() }).then(answer.resolve, answer.reject)
        },
        drop() {
          if (settled) return
          settled = true
          open.delete(held)
          answer.reject(connectionLost())
        },
      }
      open.add(held)
      request.signal.addEventListener('abort', () => held.drop(), { once: true })
      const waiter = waiting.shift()
      if (waiter === undefined) unclaimed.push(held)
      else waiter.resolve(held)
      return answer.promise
    },

    nextRequest(timeoutMs = 5_000) {
      const ready = unclaimed.shift()
      if (ready !== undefined) return Promise.resolve(ready)
      const waiter = deferred<HeldRequest>()
      waiting.push(waiter)
      const timer = setTimeout(() => {
        const index = waiting.indexOf(waiter)
        if (index >= 0) waiting.splice(index, 1)
        waiter.reject(new Error(`no token request reached the gate within ${timeoutMs} ms`))
      }, timeoutMs)
      return waiter.promise.finally(() => clearTimeout(timer))
    },

    close() {
      closed = true
      for (const held of [...open]) held.drop()
      unclaimed.length = 0
    },
  }
}
