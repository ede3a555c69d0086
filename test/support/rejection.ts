/** Resolves with what `promise` rejected with; fails the test if it resolved. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; status?: number }> {
  try {
    await promise
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a rejection, but the promise resolved')
}
