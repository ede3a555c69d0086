/**
 * The scopes Bolt's token endpoint knows, in the order the emulator prints them.
 * @group Emulator
 */
export const BOLT_SCOPES = ['bolt.account.manage', 'bolt.account.view', 'openid'] as const

/**
 * One Bolt OAuth scope.
 * @group Emulator
 */
export type BoltScope = (typeof BOLT_SCOPES)[number]

/** Whether `value` is one of {@link BOLT_SCOPES}. */
export function isBoltScope(value: string): value is BoltScope {
  return (BOLT_SCOPES as readonly string[]).includes(value)
}

/**
 * Parses the `scope` parameters of a token request (already form-decoded), in every form
 * Bolt's own material sends:
 * - space-separated (`bolt.account.manage+openid` in a form body decodes to a space);
 * - a literal `+` (`bolt.account.manage%2Bopenid`, the guide's payload);
 * - the parameter repeated (`scope=bolt.account.manage&scope=openid`);
 * - a JSON array (`scope=["bolt.account.manage","openid"]`, as Bolt's v3 SDK sends it).
 *
 * @returns the scopes, `'empty'` when there are none, `'unknown'` when any scope is not a
 *   Bolt scope, or `'malformed'` for an array that is not a JSON array of strings.
 */
export function parseScopeParams(
  values: readonly string[],
): Set<BoltScope> | 'empty' | 'unknown' | 'malformed' {
  const names: string[] = []
  for (const value of values) {
    const parsed = splitScopeValue(value)
    if (parsed === undefined) return 'malformed'
    names.push(...parsed)
  }
  if (names.length === 0) return 'empty'
  const scopes = new Set<BoltScope>()
  for (const name of names) {
    if (!isBoltScope(name)) return 'unknown'
    scopes.add(name)
  }
  return scopes
}

/**
 * Parses one space- or `+`-separated scope string, as {@link BoltEmulator.login} takes it.
 *
 * @returns the scopes, `'empty'` or `'unknown'`.
 */
export function parseScopes(raw: string): Set<BoltScope> | 'empty' | 'unknown' {
  const parsed = parseScopeParams([raw])
  return parsed === 'malformed' ? 'unknown' : parsed
}

/** The scope names in one parameter value, or `undefined` for a malformed JSON array. */
function splitScopeValue(value: string): string[] | undefined {
  const trimmed = value.trim()
  if (!trimmed.startsWith('[')) return trimmed.split(/[ +]+/).filter((name) => name !== '')
  let array: unknown
  try {
    array = JSON.parse(trimmed)
  } catch {
    return undefined
  }
  if (!Array.isArray(array) || !array.every((name) => typeof name === 'string')) return undefined
  return array.map((name: string) => name.trim()).filter((name) => name !== '')
}

/** Formats scopes space-separated, in the canonical order of {@link BOLT_SCOPES}. */
export function formatScopes(scopes: ReadonlySet<BoltScope>): string {
  return BOLT_SCOPES.filter((scope) => scopes.has(scope)).join(' ')
}
