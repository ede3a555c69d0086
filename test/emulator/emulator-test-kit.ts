// What the emulator's grant tests share: the check of an OAuth error answer.
import { expect } from 'vitest'
import type { Answer } from './helpers.js'

/** The answer has `status` and a body of exactly `{ error, error_description }`. */
export function expectOAuthError(
  answer: Answer,
  status: number,
  error: string,
  description: string,
): void {
  expect(answer.status).toBe(status)
  expect(answer.json).toEqual({ error, error_description: description })
}
