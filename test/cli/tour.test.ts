import { expect, it } from 'vitest'
import { runTour } from '../../src/cli/tour.js'
import { createTestRedis, describeRedis, redisUrl } from '../support/redis.js'

async function checkTour(redisUrl?: string): Promise<string[]> {
  const lines: string[] = []
  const transitions = await runTour({
    print: (line) => lines.push(line),
    ...(redisUrl === undefined ? {} : { redisUrl }),
  })

  expect(transitions.map((t) => `${t.from} → ${t.to}`)).toEqual([
    'unauthenticated → codeExchange',
    'codeExchange → fullyScoped',
    'fullyScoped → expired',
    'expired → refresh',
    'refresh → viewOnly',
    'viewOnly → codeExchange',
    'codeExchange → fullyScoped',
    'fullyScoped → unauthenticated',
  ])
  const output = lines.join('\n')
  for (const transition of transitions) {
    expect(output).toContain(`${transition.from} → ${transition.to}   (${transition.event})`)
  }
  const accountLines = lines.filter((line) => line.includes('Account API:'))
  expect(accountLines).toEqual([
    '   Account API: read account → allowed · add address → allowed',
    '   Account API: read account → allowed · add address → needs a new login (SCOPE_REQUIRED; Bolt itself: refused (403))',
    '   Account API: read account → allowed · add address → allowed',
  ])
  // The verified identity from the ID token: after the login, still after the refresh (which
  // carries none), and gone after the logout.
  expect(lines.filter((line) => line.includes('identity:'))).toEqual([
    '   identity: shopper@example.com (verified) · Alan Watts',
    '   identity: shopper@example.com (verified) · Alan Watts',
    '   identity: none (no ID token in the session)',
  ])
  expect(output).toContain('getAccessToken → NOT_AUTHENTICATED')
  expect(output).toContain('Bolt saw 2 code exchanges, 1 refresh, 0 refresh-token reuses.')
  expect(output).not.toMatch(/\b(at|rt|code)_[A-Za-z0-9_-]{20,}/)
  expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
  return lines
}

it('npm start walks one shopper through the whole lifecycle on the memory store and prints every transition', async () => {
  const lines = await checkTour()
  expect(lines[1]).toContain('· memory store ·')
})

describeRedis('the tour on Redis', () => {
  it('npm start -- --redis URL runs the same walkthrough on Redis and leaves no keys behind', async () => {
    const url = redisUrl ?? ''
    const lines = await checkTour(url)
    const prefix = /keys under (bolt-tour:[^)]+)\)/.exec(lines[1] ?? '')?.[1]
    expect(prefix).toBeDefined()
    expect(await createTestRedis().keys(`${prefix}*`)).toEqual([])
  })
})
