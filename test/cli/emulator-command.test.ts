import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, expect, it } from 'vitest'
import { EMULATOR_DEFAULTS, emulatorManagerOptions } from '../../src/emulator/index.js'
import { createTokenManager } from '../../src/index.js'

let child: ChildProcess | undefined
afterEach(() => {
  child?.kill('SIGTERM')
  child = undefined
})

it('`bolt-token-lifecycle emulator --port 0` serves Bolt for another process, codes from its control API', async () => {
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const stdout = child.stdout
  if (stdout === null) throw new Error('no stdout')
  const banner: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: stdout })
    let found: string | undefined
    lines.on('line', (line) => {
      banner.push(line)
      found ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1]
      if (found !== undefined && line.startsWith('Press Ctrl-C')) resolve(found)
    })
    child?.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)))
  })
  const printed = banner.join('\n')
  expect(printed).toContain(`client_id / X-Publishable-Key: ${EMULATOR_DEFAULTS.clientId}`)
  expect(printed).toContain(`client_secret / X-API-Key:     ${EMULATOR_DEFAULTS.clientSecret}`)
  for (const route of ['login', 'clock/advance', 'stats', 'requests', 'faults', 'revoke']) {
    expect(printed).toContain(`${url}/__emulator/${route}`)
  }

  const login = await fetch(`${url}/__emulator/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const { code } = (await login.json()) as { code: string }
  const tokens = createTokenManager(emulatorManagerOptions({ ...EMULATOR_DEFAULTS, url }))
  expect((await tokens.exchangeCode('s1', { code })).state).toBe('fullyScoped')
  const account = await fetch(`${url}/v1/account`, {
    headers: {
      authorization: `Bearer ${await tokens.getAccessToken('s1')}`,
      'x-api-key': EMULATOR_DEFAULTS.clientSecret,
    },
  })
  expect(account.status).toBe(200)
})

it('rejects a bad --port with a clear message and exit code 1', async () => {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--port', 'abc'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  proc.stderr.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const exitCode = await new Promise<number | null>((resolve) => proc.once('exit', resolve))
  expect(exitCode).toBe(1)
  expect(stderr).toContain('--port must be a non-negative whole number, got "abc"')
})
