/** The scopes Bolt's token endpoint knows, in the order the emulator prints them. */
export const BOLT_SCOPES = ['bolt.account.manage', 'bolt.account.view', 'openid'] as const

/** One Bolt OAuth scope. */
export type BoltScope = (typeof BOLT_SCOPES)[number]

/** Whether `value` is one of {@link BOLT_SCOPES}. */
export function isBoltScope(value: string): value is BoltScope {
  return (BOLT_SCOPES as readonly string[]).includes(value)
}

/**
 * Parses a `scope` parameter. Separators are spaces and a literal `+`,
 * because Bolt's guide sends `scope=bolt.account.manage%2Bopenid`.
 *
 * @returns the scopes, `'empty'` when there are none, or `'unknown'` when
 *   any scope is not a Bolt scope.
 */
export function parseScopes(raw: string): Set<BoltScope> | 'empty' | 'unknown' {
  const names = raw.split(/[ +]+/).filter((name) => name !== '')
  if (names.length === 0) return 'empty'
  const scopes = new Set<BoltScope>()
  for (const name of names) {
    if (!isBoltScope(name)) return 'unknown'
    scopes.add(name)
  }
  return scopes
}

/** Formats scopes space-separated, in the canonical order of {@link BOLT_SCOPES}. */
export function formatScopes(scopes: ReadonlySet<BoltScope>): string {
  return BOLT_SCOPES.filter((scope) => scopes.has(scope)).join(' ')
}
