// The admin command on real Redis: the shared suite (sessions-suite.ts), each test on a prefix
// of its own.

import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { createRedisStore, type RedisStore } from '../../adapters/storage/redis.js'
import { startEmulator, storeKey } from '../support/harness.js'
import { createTestRedis, describeRedis, randomPrefix, redisUrl } from '../support/redis.js'
import {
  envFor,
  managerOn,
  ring,
  runInProcess,
  runSubprocess,
  scratchDir,
  spawnCommand,
} from './sessions-helpers.js'
import type { CommandTarget } from './sessions-population.js'
import { reencryptSuite } from './sessions-reencrypt-suite.js'
import { sessionsCommandSuite } from './sessions-suite.js'

const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function openTarget(): Promise<CommandTarget> {
  const client = createTestRedis()
  const prefix = randomPrefix()
  const store = createRedisStore(client, { prefix })
  stores.push(store)
  const url = new URL(redisUrl ?? '')
  return {
    store,
    argv: ['--redis', url.toString(), '--prefix', prefix],
    description: `Redis at ${url.hostname}:${url.port || '6379'}${url.pathname.length > 1 ? ` (db ${url.pathname.slice(1)})` : ''}, prefix "${prefix}"`,
    ttlMs: async (key) => {
      const ttl = await client.pttl(`${prefix}{${key}}`)
      return ttl >= 0 ? ttl : undefined
    },
    unreachable: {
      argv: ['--redis', 'redis://127.0.0.1:1', '--prefix', prefix],
      says: 'Could not reach Redis at 127.0.0.1:1 (',
    },
  }
}

describeRedis('bolt-token-lifecycle sessions on Redis', () => {
  sessionsCommandSuite(openTarget)
  reencryptSuite(openTarget)

  it('a prefix with glob characters finds its own sessions and only those: SCAN MATCH is escaped', async () => {
    const bolt = await startEmulator()
    const client = createTestRedis()
    const base = randomPrefix()
    const tricky = `${base}a*[b]?:`
    const lookalike = `${base}aXbY:` // what the unescaped pattern a*[b]? would also match
    for (const prefix of [tricky, lookalike]) {
      const store = createRedisStore(client, { prefix })
      stores.push(store)
      await managerOn(bolt, store).exchangeCode('s1', { code: bolt.login().code })
    }
    const run = await runInProcess(
      ['stats', '--redis', redisUrl ?? '', '--prefix', tricky, '--json'],
      { env: {}, clock: bolt.now },
    )
    expect(JSON.parse(run.stdout).records).toBe(1)
  })

  it('Ctrl-C (SIGINT) stops reencrypt after its batch: exit 130, checkpoint saved, and --resume finishes', async () => {
    const bolt = await startEmulator()
    const target = await openTarget()
    const tokens = managerOn(bolt, target.store, ring(['k1'], 'k1'))
    const ids = Array.from({ length: 120 }, (_, index) => `int-${index}`)
    for (const id of ids) await tokens.exchangeCode(id, { code: bolt.login().code })
    const env = envFor(bolt, ring(['k1', 'k2'], 'k2'))
    const checkpoint = join(scratchDir(), 'checkpoint.json')
    const argv = ['reencrypt', ...target.argv, '--batch', '2', '--checkpoint', checkpoint]

    const { child, done } = spawnCommand([...argv, '--progress-interval-ms', '0', '--json'], env)
    let interrupted = false
    child.stderr?.on('data', (chunk) => {
      if (!interrupted && String(chunk).includes('reencrypt: scanned')) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    const stopped = await done
    expect(stopped.exitCode).toBe(130)
    expect(stopped.stderr).toContain('Stopping after this batch (Ctrl-C again to quit at once)')
    const partial = JSON.parse(stopped.stdout)
    expect([partial.complete, partial.stoppedBy, partial.checkpoint]).toEqual([
      false,
      'interrupt',
      checkpoint,
    ])
    expect(partial.counts.rewritten).toBeLessThan(120)

    const resumed = await runSubprocess([...argv, '--resume', '--json'], env)
    expect(resumed.exitCode).toBe(0)
    expect(JSON.parse(resumed.stdout).counts.rewritten).toBe(120)
    for (const id of ids) {
      expect((await target.store.get(storeKey(bolt, id)))?.value.slice(0, 8)).toBe('enc2.k2.')
    }
  })

  it('on a terminal, reencrypt draws a progress bar in place and ends it with the final counts', async () => {
    const bolt = await startEmulator()
    const target = await openTarget()
    const tokens = managerOn(bolt, target.store, ring(['k1'], 'k1'))
    for (const id of ['t1', 't2', 't3']) await tokens.exchangeCode(id, { code: bolt.login().code })
    const run = await runInProcess(
      ['reencrypt', ...target.argv, '--checkpoint', join(scratchDir(), 'c.json')],
      { env: envFor(bolt, ring(['k1', 'k2'], 'k2')), stderrIsTTY: true },
    )
    expect(run.exitCode).toBe(0)
    const frames = run.stderr.split('\r\x1b[2K').filter((frame) => frame !== '')
    expect(frames[0]).toMatch(/^\[[█░]{24}\] \d+% scanned [0-3] of ≤\d+ · /)
    expect(frames.at(-1)).toMatch(
      /^\[█{24}\] 100% scanned 3 · rewritten 3 · already current 0 · skipped \(changed\) 0 · unreadable 0\n$/,
    )
    expect(run.stdout).toBe(
      `Re-encrypted the sessions in ${target.description} under key 'k2': complete.
  scanned                         3
  rewritten                       3
  already current                 0
  skipped (changed)               0
  unreadable                      0
  plaintext                       0
Next: check with \`sessions stats\` that every record is under 'k2', then remove the old keys.
`,
    )
  })
})
