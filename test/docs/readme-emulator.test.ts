import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startEmulator } from '../support/harness.js'

const root = join(import.meta.dirname, '..', '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** The README's control endpoint rows: method, path (query included) and the statuses it lists. */
function controlRows() {
  return [
    ...readme.matchAll(/^\| `(GET|POST|PUT|DELETE) (\/__emulator\/[^`]+)` \|[^|]*\| (.*) \|$/gm),
  ].map(([, method = '', path = '', answer = '']) => ({
    method,
    path: path.replace('…', 'shopper@example.com'),
    statuses: [...answer.matchAll(/`(\d{3})\b/g)].map(([, status]) => Number(status)),
  }))
}

/** A body each documented route accepts. */
const bodies: Record<string, unknown> = {
  'POST /__emulator/login': {},
  'POST /__emulator/clock/advance': { ms: 1_000 },
  'POST /__emulator/faults': { fault: { type: 'respond', status: 503, body: '{}' } },
  'POST /__emulator/revoke': { token: 'rt_unknown' },
  'PUT /__emulator/jwks/available': { available: true },
}

describe("the README's emulator control endpoints", () => {
  it('lists the routes the emulator answers, with the statuses it gives', async () => {
    const rows = controlRows()
    expect(rows.length).toBeGreaterThanOrEqual(12)
    const bolt = await startEmulator()
    bolt.login() // so that GET /__emulator/shopper finds the default shopper
    for (const { method, path, statuses } of rows) {
      const key = `${method} ${path.split('?')[0]}`
      const body = bodies[key]
      const response = await fetch(`${bolt.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify(body ?? {}) }),
      })
      await response.body?.cancel()
      expect(statuses, key).toContain(response.status)
    }
  })
})
