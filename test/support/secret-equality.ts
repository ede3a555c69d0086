// Secrets hide their value from every printer, so `toEqual` would call any two of them
// equal; compare what they wrap instead.
import { expect } from 'vitest'
import { Secret } from '../../src/secret.js'

expect.addEqualityTesters([
  function secretEquality(a: unknown, b: unknown): boolean | undefined {
    if (a instanceof Secret && b instanceof Secret) return a.equals(b)
    if (a instanceof Secret || b instanceof Secret) return false
    return undefined
  },
])
