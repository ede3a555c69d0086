// The admin command's behaviour, the same on every store it supports: each store's test file
// (sessions-redis.test.ts, sessions-postgres.test.ts) runs this suite against its real engine.
// Sessions are made by real token managers against the emulator (plain, encrypted, under a key
// the command lacks); the command runs in-process and as a real subprocess.
import { expect, it } from 'vitest'
import { startEmulator, storeKey } from '../support/harness.js'
import { rejection } from '../support/rejection.js'
import {
  envFor,
  managerOn,
  ring,
  runInProcess,
  runSubprocess,
  SECRET_SHAPES,
} from './sessions-helpers.js'
import { type CommandTarget, logInAs, populate, SESSIONS, stored } from './sessions-population.js'

/** Runs the admin-command suite on the store `open` makes (a fresh one per test). */
export function sessionsCommandSuite(open: () => Promise<CommandTarget>): void {
  it('stats: every session counted by state as getStatus reads it, unreadable ones by reason, access tokens and store TTLs ending within the hour, records by key id', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await populate(bolt, target.store)
    const env = envFor(bolt, ring(['k1', 'k2'], 'k1'))

    const run = await runInProcess(['stats', ...target.argv, '--json'], { env, clock: bolt.now })
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(4) // one record under a key the ring lacks
    const stats = JSON.parse(run.stdout)
    expect(stats).toEqual({
      command: 'stats',
      store: target.description,
      at: stats.at,
      records: 7,
      byState: {
        unauthenticated: 2,
        codeExchange: 0,
        fullyScoped: 2,
        expired: 1,
        refresh: 0,
        viewOnly: 1,
      },
      unreadable: 1,
      unreadableByReason: { 'unknown-key': 1 },
      byKeyId: { k1: 5, k0: 1 },
      plaintext: 1,
      accessTokens: { expired: 1, expiringWithinHour: 3, validBeyondHour: 0 },
      recordsEndingWithinHour: 1,
      scan: { batches: stats.scan.batches, largestBatch: stats.scan.largestBatch },
    })
    expect(Math.abs(stats.at - bolt.now())).toBeLessThan(5_000)

    const text = await runInProcess(['stats', ...target.argv], { env, clock: bolt.now })
    expect(text.stdout).toContain(`Sessions in ${target.description}: 7 records`)
    expect(text.stdout).toContain(
      '  unreadable                      1  1 under a key id the key ring lacks',
    )
    expect(text.stdout).toContain(
      '  access tokens expiring          3  (and 1 already expired: refreshed on their next use)',
    )
    expect(text.stdout).toContain("Encryption: 1 under key 'k0', 5 under key 'k1', 1 plaintext")
    for (const shape of SECRET_SHAPES) expect(text.stdout).not.toMatch(shape)
  })

  it('stats reads in batches of --batch: the same counts in batches of two', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await populate(bolt, target.store)
    const env = envFor(bolt, ring(['k1'], 'k1'))
    const run = await runInProcess(['stats', ...target.argv, '--json', '--batch', '2'], {
      env,
      clock: bolt.now,
    })
    const stats = JSON.parse(run.stdout)
    expect(stats.records).toBe(7)
    expect(stats.byState.fullyScoped).toBe(2)
    expect(stats.scan.batches).toBeGreaterThanOrEqual(4)
  })

  it('stats without the key ring, on encrypted records: exit 2, naming BOLT_TOKENS_ENCRYPTION', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await populate(bolt, target.store)
    const run = await runInProcess(['stats', ...target.argv], { env: envFor(bolt) })
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(
      /^error: The store holds encrypted records \(key id 'k[01]'\), and BOLT_TOKENS_ENCRYPTION is not set\./,
    )
  })

  it('inspect: state, scopes, expiry, last error code and the verified email, read through the token manager; never a token', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const tokens = await populate(bolt, target.store)
    const env = envFor(bolt, ring(['k1'], 'k1'))
    const inspect = async (id: string) => {
      const run = await runInProcess(['inspect', id, ...target.argv, '--json'], {
        env,
        clock: bolt.now,
      })
      return { ...run, found: JSON.parse(run.stdout) }
    }

    const fresh = await inspect(SESSIONS.fresh)
    expect(fresh.exitCode).toBe(0)
    const status = await tokens.getStatus(SESSIONS.fresh)
    expect(fresh.found).toEqual({
      command: 'inspect',
      store: target.description,
      storeKey: storeKey(bolt, SESSIONS.fresh),
      keyId: 'k1',
      storeTtlMs: fresh.found.storeTtlMs,
      readable: true,
      unreadable: null,
      state: 'fullyScoped',
      scopes: status.scopes,
      accessTokenExpiresAt: status.expiresAt,
      canManage: true,
      lastErrorCode: null,
      email: 'ada@example.com',
      emailVerified: true,
      identityErrorCode: null,
    })
    expect(status.scopes).toContain('bolt.account.manage')
    expect(fresh.found.storeTtlMs).toBeGreaterThan(29 * 24 * 3_600_000)

    const refreshed = (await inspect(SESSIONS.refreshed)).found
    expect([refreshed.state, refreshed.canManage, refreshed.email]).toEqual([
      'viewOnly',
      false,
      'rae@example.com',
    ])
    const revoked = (await inspect(SESSIONS.revoked)).found
    expect([revoked.state, revoked.lastErrorCode, revoked.email]).toEqual([
      'unauthenticated',
      'INVALID_GRANT',
      null,
    ])
    const foreign = await inspect(SESSIONS.foreignKey)
    expect(foreign.exitCode).toBe(4)
    expect([foreign.found.readable, foreign.found.unreadable, foreign.found.keyId]).toEqual([
      false,
      { code: 'RECORD_UNREADABLE', keyId: 'k0' },
      'k0',
    ])

    const text = await runInProcess(['inspect', SESSIONS.fresh, ...target.argv], {
      env,
      clock: bolt.now,
    })
    expect(text.stdout.split('\n').slice(1, 7)).toEqual([
      '  state          fullyScoped',
      `  scopes         ${status.scopes.join(' ')}`,
      `  access token   expires ${new Date(status.expiresAt ?? 0).toISOString()} (in 1 h)`,
      '  can manage     yes',
      '  last error     none',
      '  email          ada@example.com (verified)',
    ])
    const everything = [fresh, text].map((run) => run.stdout + run.stderr).join('')
    for (const shape of SECRET_SHAPES) expect(everything).not.toMatch(shape)
    expect(everything).not.toContain(SESSIONS.fresh)
  })

  it('inspect of an unknown session: exit 1 and a message saying what to check', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await logInAs(bolt, managerOn(bolt, target.store), 'somebody', 'sue@example.com')
    const run = await runInProcess(['inspect', 'nobody', ...target.argv], { env: envFor(bolt) })
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toBe(
      `error: No session with this id in ${target.description}. If it should exist, check the prefix or table, and that BOLT_STORE_KEY_SECRET (or BOLT_API_KEY, when your token manager sets no storeKeySecret) is the secret your token manager derives store keys from.\n`,
    )
  })

  it('inspect without the store-key secret: exit 2, naming both variables', async () => {
    const target = await open()
    const run = await runInProcess(['inspect', 'anyone', ...target.argv], { env: {} })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('set BOLT_STORE_KEY_SECRET (your `storeKeySecret` option) or')
    expect(run.stderr).toContain('BOLT_API_KEY (your `clientSecret`)')
  })

  it('inspect finds sessions of a manager with its own storeKeySecret, given BOLT_STORE_KEY_SECRET', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const storeKeySecret = 'a-store-key-secret-of-at-least-32-characters'
    const tokens = managerOn(bolt, target.store, undefined, { storeKeySecret })
    await logInAs(bolt, tokens, 'own-secret', 'sam@example.com')
    const withApiKey = await runInProcess(['inspect', 'own-secret', ...target.argv], {
      env: envFor(bolt),
    })
    expect(withApiKey.exitCode).toBe(1)
    const run = await runInProcess(['inspect', 'own-secret', ...target.argv, '--json'], {
      env: { ...envFor(bolt), BOLT_STORE_KEY_SECRET: storeKeySecret },
      clock: bolt.now,
    })
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout).email).toBe('sam@example.com')
  })

  it('logout: through the token manager, one fenced write; live managers see the shopper logged out; a second logout writes nothing', async () => {
    const bolt = await startEmulator()
    const target = await open()
    const tokens = await populate(bolt, target.store)
    const env = envFor(bolt, ring(['k1'], 'k1'))
    const before = await stored(target, bolt, SESSIONS.fresh)
    const requests = bolt.stats.tokenRequests

    const run = await runInProcess(['logout', SESSIONS.fresh, ...target.argv, '--json'], {
      env,
      clock: bolt.now,
    })
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({
      command: 'logout',
      store: target.description,
      storeKey: storeKey(bolt, SESSIONS.fresh),
      previousState: 'fullyScoped',
      alreadyLoggedOut: false,
      versionBefore: before?.version,
      versionAfter: (before?.version ?? 0) + 1,
    })
    expect((await rejection(tokens.getAccessToken(SESSIONS.fresh))).code).toBe('NOT_AUTHENTICATED')
    expect(bolt.stats.tokenRequests).toBe(requests) // a logout never calls Bolt

    const again = await runInProcess(['logout', SESSIONS.fresh, ...target.argv], {
      env,
      clock: bolt.now,
    })
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toBe(
      `Nothing to do: the session with store key ${storeKey(bolt, SESSIONS.fresh)} in ${target.description} was already logged out.\n`,
    )
    expect((await stored(target, bolt, SESSIONS.fresh))?.version).toBe((before?.version ?? 0) + 1)
  })

  it('logout of a record the command cannot read (a key it lacks) still logs the shopper out, as the manager does', async () => {
    const bolt = await startEmulator()
    const target = await open()
    await populate(bolt, target.store)
    const run = await runInProcess(['logout', SESSIONS.foreignKey, ...target.argv], {
      env: envFor(bolt, ring(['k1'], 'k1')),
      clock: bolt.now,
    })
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('(it was unreadable). Its tokens are gone')
    const owner = managerOn(bolt, target.store, ring(['k0', 'k1'], 'k0'))
    expect((await owner.getStatus(SESSIONS.foreignKey)).state).toBe('unauthenticated')
  })

  it('a store that does not answer: exit 3, saying where and what to check', async () => {
    const target = await open()
    const run = await runInProcess(['stats', ...target.unreachable.argv], { env: {} })
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain(target.unreachable.says)
  })

  it('as a subprocess: argv, --json, the session id from standard input, and exit codes', async () => {
    // The subprocess reads the real clock: sessions made without moving the emulator's.
    const bolt = await startEmulator()
    const target = await open()
    await logInAs(
      bolt,
      managerOn(bolt, target.store, ring(['k1'], 'k1')),
      'sub-1',
      'ada@example.com',
    )
    await logInAs(bolt, managerOn(bolt, target.store), 'sub-2', 'pat@example.com')
    const env = envFor(bolt, ring(['k1'], 'k1'))
    const [stats, inspect, unknown, usage] = await Promise.all([
      runSubprocess(['stats', ...target.argv, '--json'], env),
      runSubprocess(['inspect', '-', ...target.argv, '--json'], env, { stdin: 'sub-1\n' }),
      runSubprocess(['logout', 'nobody', ...target.argv, '--json'], env),
      runSubprocess(['stats', '--batch', 'many', ...target.argv], env),
    ])
    expect(stats.exitCode).toBe(0)
    const counted = JSON.parse(stats.stdout)
    expect([
      counted.records,
      counted.byState.fullyScoped,
      counted.byKeyId,
      counted.plaintext,
    ]).toEqual([2, 2, { k1: 1 }, 1])
    expect(inspect.exitCode).toBe(0)
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      state: 'fullyScoped',
      email: 'ada@example.com',
      keyId: 'k1',
    })
    expect(unknown.exitCode).toBe(1)
    expect(JSON.parse(unknown.stdout).error).toEqual({
      exitCode: 1,
      message: unknown.stderr.replace(/^error: /, '').trimEnd(),
    })
    expect(usage.exitCode).toBe(2)
    expect(usage.stderr).toBe('error: --batch must be a whole number of at least 1, got "many".\n')
    for (const run of [stats, inspect, unknown, usage]) {
      for (const shape of SECRET_SHAPES) expect(run.stdout + run.stderr).not.toMatch(shape)
    }
  })
}
