import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { tokensOnUpstash } from '../../examples/upstash-store.js'
import { emulatorManagerOptions } from '../../src/emulator/index.js'
import { PAST_EXPIRY_MS, startEmulator } from '../support/harness.js'
import { describeRedis } from '../support/redis.js'
import { useUpstashServer } from '../support/upstash.js'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describeRedis('docs/stores/upstash.md, "Setup"', () => {
  const server = useUpstashServer()

  it('quotes the setup of examples/upstash-store.ts as it is', () => {
    const example = read('examples/upstash-store.ts')
    const region = /\n {2}\/\/ #region setup\n([\s\S]*?)\n {2}\/\/ #endregion/.exec(example)?.[1]
    const code = (region ?? '<no region>').replace(/^ {2}/gm, '')
    expect(read('docs/stores/upstash.md')).toContain(`\`\`\`ts\n${code}\n\`\`\``)
  })

  it('runs: a login, a refresh and a read on Vercel KV-style variables', async () => {
    const bolt = await startEmulator()
    const env = { KV_REST_API_URL: server().url, KV_REST_API_TOKEN: server().token }
    const { tokens, store } = tokensOnUpstash(env, {
      ...emulatorManagerOptions(bolt),
      http: createFetchTransport(),
    })
    try {
      const sessionId = `session-${randomUUID()}`
      await tokens.exchangeCode(sessionId, { code: bolt.login().code })
      bolt.advanceClock(PAST_EXPIRY_MS)
      const token = await tokens.getAccessToken(sessionId)
      expect((await tokens.getStatus(sessionId)).state).toBe('viewOnly')
      expect((await tokens.getAccessToken(sessionId)) === token).toBe(true)
      expect(bolt.stats.refreshes).toBe(1)
    } finally {
      await store.close()
    }
  })
})
