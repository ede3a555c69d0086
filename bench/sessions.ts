/**
 * Logging shoppers in through the emulator, as a merchant backend would: a login-modal code,
 * then `exchangeCode`.
 *
 * @module
 */
import type { TokenManager } from '../src/manager/token-manager.js'
import type { RemoteEmulator } from './emulator.js'

/** Logs every session in (`concurrency` at a time) and resolves with their access tokens. */
export async function logInAll(
  emulator: RemoteEmulator,
  manager: TokenManager,
  sessionIds: readonly string[],
  concurrency = 16,
): Promise<string[]> {
  const tokens: string[] = new Array(sessionIds.length)
  let next = 0
  const worker = async () => {
    while (next < sessionIds.length) {
      const index = next++
      const sessionId = sessionIds[index] as string
      await manager.exchangeCode(sessionId, { code: await emulator.login() })
      tokens[index] = await manager.getAccessToken(sessionId)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return tokens
}

/** `count` session ids such as a merchant's session cookie would carry (32 characters). */
export function sessionIds(prefix: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${prefix}-${String(i).padStart(31 - prefix.length, '0')}`,
  )
}
