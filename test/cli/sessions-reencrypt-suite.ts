// `sessions reencrypt` on every store it supports: a rotation rewrites each record under an old
// key exactly once (version + 1, content and TTL kept), a run stopped at --limit or killed
// resumes without losing or writing any record twice, and a live instance's refresh during the
// run is never overwritten. Each store's test file runs this suite against its real engine.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { createFetchTransport } from '../../adapters/http/fetch.js'
import { createStoreKeyCipher } from '../../src/crypto/encryption.js'
import type { BoltEmulator } from '../../src/emulator/index.js'
import { createGatedTransport } from '../../src/testing/gated-transport.js'
import { sealAsEnc1 } from '../support/enc1-records.js'
import { PAST_EXPIRY_MS, startEmulator, storeKey } from '../support/harness.js'
import {
  envFor,
  KEYS,
  managerOn,
  ring,
  runInProcess,
  runSubprocess,
  scratchDir,
  spawnCommand,
} from './sessions-helpers.js'
import { type CommandTarget, logInAs, populate, SESSIONS, stored } from './sessions-population.js'

/** Opens any record of the tests (it has every key). */
const everyKey = createStoreKeyCipher({ keys: KEYS, current: 'k2' })

/**
 * The record of `id` rewritten in the form 0.2.0 wrote (`enc1`: bound to the session id, not
 * the store key), under key `k1`, as an instance on that version would have left it.
 */
async function rewriteAsSessionBound(target: CommandTarget, bolt: BoltEmulator, id: string) {
  const record = await stored(target, bolt, id)
  if (record === undefined) throw new Error(`no record for ${id}`)
  const plaintext = await everyKey.decrypt(record.value, storeKey(bolt, id))
  const value = await sealAsEnc1(plaintext, id, 'k1', KEYS.k1)
  const version = await target.store.compareAndSet(storeKey(bolt, id), value, {
    expectedVersion: record.version,
    ttlMs: 3_600_000,
  })
  if (version === undefined) throw new Error(`the record of ${id} moved`)
}

/** Each session's version, key id and decrypted content, by session id. */
async function snapshot(target: CommandTarget, bolt: BoltEmulator, ids: string[]) {
  const records = new Map<string, { version: number; keyId: string; content: string }>()
  for (const id of ids) {
    const record = await stored(target, bolt, id)
    if (record === undefined) throw new Error(`no record for ${id}`)
    const keyId = record.value.startsWith('enc') ? (record.value.split('.')[1] ?? '') : 'plaintext'
    const content =
      keyId === 'plaintext'
        ? record.value
        : await everyKey.decrypt(record.value, storeKey(bolt, id))
    records.set(id, { version: record.version, keyId, content })
  }
  return records
}

/** `count` sessions logged in by a manager encrypting under k1. */
async function logInMany(bolt: BoltEmulator, target: CommandTarget, count: number) {
  const tokens = managerOn(bolt, target.store, ring(['k1'], 'k1'))
  const ids = Array.from({ length: count }, (_, index) => `many-${index}`)
  for (const id of ids) await logInAs(bolt, tokens, id, `${id}@example.com`)
  return ids
}

/** Every one of `ids` is now under k2, one version later, with the same content. */
async function expectRewrittenOnce(
  target: CommandTarget,
  bolt: BoltEmulator,
  before: Awaited<ReturnType<typeof snapshot>>,
) {
  const after = await snapshot(target, bolt, [...before.keys()])
  for (const [id, was] of before) {
    expect({ id, ...after.get(id) }).toEqual({
      id,
      version: was.version + 1,
      keyId: 'k2',
      content: was.content,
    })
  }
}

/** Runs the reencrypt suite on the store `open` makes (a fresh one per test). */
export function reencryptSuite(open: () => Promise<CommandTarget>): void {
  it('after a rotation: each record under an old key rewritten once under the current key (version + 1, same content, TTL kept); the rest left; then the old key can go', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await populate(bolt, target.store)
    const ids = Object.values(SESSIONS)
    const before = await snapshot(target, bolt, ids)
    const ttlBefore = await target.ttlMs(storeKey(bolt, SESSIONS.fresh))
    const env = envFor(bolt, ring(['k1', 'k2'], 'k2'))
    const checkpoint = join(scratchDir(), 'checkpoint.json')

    const argv = ['reencrypt', ...target.argv, '--batch', '2', '--checkpoint', checkpoint]
    const run = await runInProcess([...argv, '--json'], { env, clock: bolt.now })
    expect(run.exitCode).toBe(4) // the record under k0, which the ring lacks, is left
    const result = JSON.parse(run.stdout)
    expect(result).toEqual({
      command: 'reencrypt',
      store: target.description,
      currentKeyId: 'k2',
      complete: true,
      stoppedBy: null,
      checkpoint: null,
      cursor: null,
      resumed: false,
      counts: {
        scanned: 7,
        rewritten: 5,
        alreadyCurrent: 0,
        skippedChanged: 0,
        unreadable: 1,
        plaintext: 1,
        batches: result.counts.batches,
      },
      unreadableByReason: { 'unknown-key': 1 },
    })
    expect(existsSync(checkpoint)).toBe(false)

    const rewritten = [
      SESSIONS.fresh,
      SESSIONS.expired,
      SESSIONS.refreshed,
      SESSIONS.revoked,
      SESSIONS.loggedOut,
    ]
    await expectRewrittenOnce(
      target,
      bolt,
      new Map(
        rewritten.map((id) => [id, before.get(id) as NonNullable<ReturnType<typeof before.get>>]),
      ),
    )
    const untouched = await snapshot(target, bolt, [SESSIONS.foreignKey, SESSIONS.plaintext])
    expect(untouched).toEqual(
      new Map([SESSIONS.foreignKey, SESSIONS.plaintext].map((id) => [id, before.get(id)])),
    )
    const ttlAfter = (await target.ttlMs(storeKey(bolt, SESSIONS.fresh))) ?? 0
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore ?? 0)
    expect(ttlAfter).toBeGreaterThan((ttlBefore ?? 0) - 10_000)

    // The old key removed: a manager with k2 alone reads every rewritten session.
    const retired = managerOn(bolt, target.store, ring(['k2'], 'k2'))
    expect(
      await Promise.all(
        [SESSIONS.fresh, SESSIONS.refreshed, SESSIONS.revoked].map(
          async (id) => (await retired.getStatus(id)).state,
        ),
      ),
    ).toEqual(['fullyScoped', 'viewOnly', 'unauthenticated'])
    expect(retired.errors).toEqual([])
    const stats = await runInProcess(['stats', ...target.argv, '--json'], { env, clock: bolt.now })
    expect(JSON.parse(stats.stdout).byKeyId).toEqual({ k2: 5, k0: 1 })

    const again = await runInProcess([...argv, '--json'], { env, clock: bolt.now })
    expect(JSON.parse(again.stdout).counts).toMatchObject({ rewritten: 0, alreadyCurrent: 5 })
    await expectRewrittenOnce(
      target,
      bolt,
      new Map(
        rewritten.map((id) => [id, before.get(id) as NonNullable<ReturnType<typeof before.get>>]),
      ),
    )
  })

  it('an enc1 record (bound to its session id, from 0.2.0) is left and counted as session-bound; the manager still reads it, and its next write makes it enc2', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await populate(bolt, target.store)
    await rewriteAsSessionBound(target, bolt, SESSIONS.fresh)
    const sessionBound = await stored(target, bolt, SESSIONS.fresh)
    expect(sessionBound?.value.startsWith('enc1.k1.')).toBe(true)
    const env = envFor(bolt, ring(['k1', 'k2'], 'k2'))
    const checkpoint = join(scratchDir(), 'checkpoint.json')

    const argv = ['reencrypt', ...target.argv, '--checkpoint', checkpoint, '--json']
    const run = await runInProcess(argv, { env, clock: bolt.now })
    expect(run.exitCode).toBe(4)
    const result = JSON.parse(run.stdout)
    expect(result.counts).toMatchObject({ scanned: 7, rewritten: 4, unreadable: 2, plaintext: 1 })
    expect(result.unreadableByReason).toEqual({ 'unknown-key': 1, 'session-bound': 1 })
    expect(await stored(target, bolt, SESSIONS.fresh)).toEqual(sessionBound)

    // The token manager, which knows the session id, reads it; its next write is enc2.
    const tokens = managerOn(bolt, target.store, ring(['k1', 'k2'], 'k2'))
    expect((await tokens.getStatus(SESSIONS.fresh)).state).toBe('fullyScoped')
    await tokens.logout(SESSIONS.fresh)
    expect((await stored(target, bolt, SESSIONS.fresh))?.value.startsWith('enc2.k2.')).toBe(true)
    expect(tokens.errors).toEqual([])
  })

  it('reencrypt without the key ring: exit 2, saying what BOLT_TOKENS_ENCRYPTION must hold', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const run = await runInProcess(['reencrypt', ...target.argv], { env: envFor(bolt) })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('reencrypt needs the key ring: set BOLT_TOKENS_ENCRYPTION')
  })

  it('stopped at --limit, then --resume until done: every record rewritten exactly once, none lost', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const ids = await logInMany(bolt, target, 24)
    const before = await snapshot(target, bolt, ids)
    const env = envFor(bolt, ring(['k1', 'k2'], 'k2'))
    const checkpoint = join(scratchDir(), 'checkpoint.json')
    const argv = ['reencrypt', ...target.argv, '--batch', '4', '--checkpoint', checkpoint, '--json']

    const first = await runInProcess([...argv, '--limit', '8'], { env })
    expect(first.exitCode).toBe(5)
    const stopped = JSON.parse(first.stdout)
    expect([stopped.complete, stopped.stoppedBy, stopped.checkpoint]).toEqual([
      false,
      'limit',
      checkpoint,
    ])
    expect(stopped.counts.scanned).toBeGreaterThanOrEqual(8)
    expect(stopped.counts.rewritten).toBe(stopped.counts.scanned)
    expect(existsSync(checkpoint)).toBe(true)

    const fresh = await runInProcess(argv, { env })
    expect(fresh.exitCode).toBe(2)
    expect(fresh.stderr).toContain('pass --resume to continue it, or remove the file to start over')

    let last = stopped
    let stops = 1
    for (let runs = 0; runs < 24 && !last.complete; runs++) {
      const next = await runInProcess([...argv, '--resume', '--limit', '8'], { env })
      last = JSON.parse(next.stdout)
      expect(next.exitCode).toBe(last.complete ? 0 : 5)
      if (!last.complete) stops += 1
      expect(last.resumed).toBe(true)
    }
    expect(last.complete).toBe(true)
    expect(stops).toBeGreaterThanOrEqual(2)
    // A record is rewritten once: afterwards it is under the current key and only ever skipped.
    expect(last.counts.rewritten).toBe(24)
    expect(last.counts.scanned).toBe(last.counts.rewritten + last.counts.alreadyCurrent)
    await expectRewrittenOnce(target, bolt, before)
    expect(existsSync(checkpoint)).toBe(false)
  })

  it('killed mid-run (SIGKILL, a real subprocess) and resumed: every record rewritten exactly once, none lost', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const ids = await logInMany(bolt, target, 150)
    const before = await snapshot(target, bolt, ids)
    const env = envFor(bolt, ring(['k1', 'k2'], 'k2'))
    const checkpoint = join(scratchDir(), 'checkpoint.json')
    const argv = ['reencrypt', ...target.argv, '--batch', '3', '--checkpoint', checkpoint]

    const { child, done } = spawnCommand([...argv, '--progress-interval-ms', '0'], env)
    let progressLines = 0
    child.stderr?.on('data', (chunk) => {
      progressLines += String(chunk)
        .split('\n')
        .filter((line) => line.startsWith('reencrypt: scanned')).length
      if (progressLines >= 3) child.kill('SIGKILL')
    })
    const killed = await done
    expect(killed.signal).toBe('SIGKILL')
    expect(killed.stdout).toBe('')
    expect(existsSync(checkpoint)).toBe(true)
    const progress = killed.stderr.split('\n').filter((line) => line.startsWith('reencrypt:'))
    expect(progress[0]).toMatch(
      /^reencrypt: scanned \d+ of ≤?\d+ · rewritten \d+ · already current \d+ · skipped \(changed\) 0 · unreadable 0$/,
    )

    const resumed = await runSubprocess([...argv, '--resume', '--json'], env)
    expect(resumed.exitCode).toBe(0)
    const result = JSON.parse(resumed.stdout)
    expect([result.complete, result.resumed]).toEqual([true, true])
    // Records of the batch the kill cut short were rewritten then and are skipped now.
    expect(result.counts.rewritten + result.counts.alreadyCurrent).toBe(result.counts.scanned)
    expect(result.counts.rewritten).toBeLessThanOrEqual(150)
    await expectRewrittenOnce(target, bolt, before)
    expect(existsSync(checkpoint)).toBe(false)
  })

  it('a live refresh between the read and the write wins: the record is re-read, found under the current key and skipped; its new tokens stay', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const ids = await logInMany(bolt, target, 6)
    bolt.advanceClock(PAST_EXPIRY_MS)
    const live = managerOn(bolt, target.store, ring(['k1', 'k2'], 'k2'))
    const liveKey = storeKey(bolt, 'many-0')
    const others = await snapshot(target, bolt, ids.slice(1))
    const version = (await stored(target, bolt, 'many-0'))?.version ?? 0
    let token: string | undefined

    const run = await runInProcess(
      ['reencrypt', ...target.argv, '--checkpoint', join(scratchDir(), 'c.json'), '--json'],
      {
        env: envFor(bolt, ring(['k1', 'k2'], 'k2')),
        clock: bolt.now,
        afterScan: async (page) => {
          if (token === undefined && page.sessions.some((session) => session.key === liveKey)) {
            token = await live.getAccessToken('many-0')
          }
        },
      },
    )
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout).counts).toMatchObject({
      scanned: 6,
      rewritten: 5,
      skippedChanged: 1,
      alreadyCurrent: 0,
    })
    // Two writes, both the manager's (its lease, then its tokens): none by the command.
    expect((await stored(target, bolt, 'many-0'))?.version).toBe(version + 2)
    expect(bolt.stats.refreshes).toBe(1)
    const reader = managerOn(bolt, target.store, ring(['k2'], 'k2'))
    expect(await reader.getAccessToken('many-0')).toBe(token)
    expect(bolt.stats.refreshes).toBe(1)
    await expectRewrittenOnce(target, bolt, others)
  })

  it('a record rewritten while a not-yet-rotated instance refreshes it: that refresh still saves its rotation (fenced out, then recorded late), no token replayed', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await logInMany(bolt, target, 1)
    bolt.advanceClock(PAST_EXPIRY_MS)
    // Runbook step 1 done (every instance has k2), step 2 not yet here: this one writes k1.
    const gate = createGatedTransport(createFetchTransport())
    const lagging = managerOn(bolt, target.store, ring(['k1', 'k2'], 'k1'), { http: gate })
    const refreshing = lagging.getAccessToken('many-0')
    const held = await gate.nextRequest()
    expect(held.grantType).toBe('refresh_token')
    const leased = await stored(target, bolt, 'many-0')

    const run = await runInProcess(
      ['reencrypt', ...target.argv, '--checkpoint', join(scratchDir(), 'c.json'), '--json'],
      { env: envFor(bolt, ring(['k1', 'k2'], 'k2')), clock: bolt.now },
    )
    expect(JSON.parse(run.stdout).counts).toMatchObject({ scanned: 1, rewritten: 1 })
    expect((await stored(target, bolt, 'many-0'))?.version).toBe((leased?.version ?? 0) + 1)

    held.release()
    const token = await refreshing
    const reader = managerOn(bolt, target.store, ring(['k1', 'k2'], 'k2'))
    expect(await reader.getAccessToken('many-0')).toBe(token)
    expect((await reader.getStatus('many-0')).state).toBe('viewOnly')
    expect([bolt.stats.refreshes, bolt.stats.reuseDetected]).toEqual([1, 0])
    gate.close()
  })
}
