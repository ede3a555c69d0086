/**
 * The Bolt emulator every section talks to: a real `node:http` server on loopback, run in a
 * child process of its own (bench/emulator-child.ts) and driven through its control API.
 *
 * @module
 */
import type { EmulatorFault, EmulatorStats, RecordedTokenRequest } from '../src/emulator/index.js'
import { type Child, spawnChild } from './child.js'

/** What the emulator child tells the parent once it listens. */
export interface EmulatorReady {
  type: 'ready'
  url: string
  clientId: string
  clientSecret: string
}

/** The emulator in its own process, as the sections use it. */
export interface RemoteEmulator {
  readonly url: string
  readonly clientId: string
  readonly clientSecret: string
  /** A login-modal authorization code (`bolt.account.manage bolt.account.view openid`). */
  login(): Promise<string>
  stats(): Promise<EmulatorStats>
  /** Every token request since the last {@link RemoteEmulator.resetStats}. */
  requests(): Promise<RecordedTokenRequest[]>
  resetStats(): Promise<void>
  injectFault(fault: EmulatorFault, times: number): Promise<void>
  clearFaults(): Promise<void>
  close(): Promise<void>
}

/** Starts the emulator child and resolves once it listens. */
export async function startRemoteEmulator(): Promise<RemoteEmulator> {
  const child: Child<EmulatorReady> = await spawnChild<EmulatorReady>('./emulator-child.ts', {
    name: 'emulator',
  })
  const { url, clientId, clientSecret } = child.ready
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${url}/__emulator/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    // A keep-alive connection the emulator closed while this process was busy fails on reuse;
    // the control calls are safe to send again (at worst a login code goes unused).
    const response = await send(method, path, body).catch(() => send(method, path, body))
    const text = await response.text()
    if (!response.ok) throw new Error(`emulator control ${method} ${path}: ${response.status}`)
    return text === '' ? undefined : JSON.parse(text)
  }
  return {
    url,
    clientId,
    clientSecret,
    login: async () => ((await control('POST', 'login', {})) as { code: string }).code,
    stats: async () => (await control('GET', 'stats')) as EmulatorStats,
    requests: async () => (await control('GET', 'requests')) as RecordedTokenRequest[],
    resetStats: async () => {
      await control('DELETE', 'stats')
    },
    injectFault: async (fault, times) => {
      await control('POST', 'faults', { fault, times, route: 'token' })
    },
    clearFaults: async () => {
      await control('DELETE', 'faults')
    },
    close: () => child.close(),
  }
}
