// The docs say how often a manager reads its store's clock: the figure is the code's.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LEASE_CLOCK_RESAMPLE_MS } from '../../src/manager/lease-clock.js'

const root = join(import.meta.dirname, '..', '..')
const SAYS_ONCE_A_MINUTE = [
  'docs/redis.md',
  'docs/stores/postgres.md',
  'docs/stores/upstash.md',
  'docs/stores/cloudflare.md',
  'CHANGELOG.md',
]

describe('how often the store clock is read, as the docs say it', () => {
  it.each(SAYS_ONCE_A_MINUTE)('%s says once a minute, which LEASE_CLOCK_RESAMPLE_MS is', (file) => {
    expect(readFileSync(join(root, file), 'utf8')).toContain('once a minute')
    expect(LEASE_CLOCK_RESAMPLE_MS).toBe(60_000)
  })
})
