import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Compares two strings in constant time (for secrets and `state`): both are
 * hashed first, so neither their content nor their length leaks through timing.
 */
export function secureEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
