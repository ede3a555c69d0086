import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { createTokens } from '../../examples/postgres-store.js'
import { emulatorManagerOptions } from '../../src/emulator/index.js'
import { PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { describePostgres, postgresUrl, randomTable } from '../support/postgres.js'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

it('docs/stores/postgres.md quotes examples/postgres-store.ts as it is (its leading comment aside)', () => {
  const example = read('examples/postgres-store.ts')
    .split('\n')
    .filter((line) => !line.startsWith('//'))
    .join('\n')
  expect(read('docs/stores/postgres.md')).toContain(`\`\`\`ts\n${example}\`\`\``)
})

describePostgres('examples/postgres-store.ts', () => {
  it('two instances on one database: an expired session is refreshed once, both get its token', async () => {
    const bolt = await startEmulator()
    const table = randomTable()
    const [first, second] = [1, 2].map(() =>
      createTokens(postgresUrl, emulatorManagerOptions(bolt), table),
    ) as [ReturnType<typeof createTokens>, ReturnType<typeof createTokens>]
    try {
      await first.tokens.exchangeCode('shopper', { code: bolt.login().code })
      bolt.advanceClock(PAST_EXPIRY_MS)
      bolt.injectFault({ type: 'delay', ms: 200 })
      const calls = [first, second].flatMap(({ tokens }) =>
        Array.from({ length: 10 }, () => tokens.getAccessToken('shopper')),
      )
      const results = await Promise.all(calls)
      expect(new Set(results).size).toBe(1)
      expect(bolt.stats.refreshes).toBe(1)
      expect((await second.tokens.getStatus('shopper')).state).toBe('viewOnly')
    } finally {
      await Promise.all([first.close(), second.close()])
    }
  })
})
