/**
 * The setup of docs/stores/upstash.md, runnable: a token manager on Upstash (or Vercel KV).
 * test/upstash/docs-example.test.ts runs it against the REST test server and checks that the
 * page quotes the region between the `#region` markers as it is.
 */
import { Redis } from '@upstash/redis'
import { createTokenManager, type TokenManagerOptions } from 'bolt-token-lifecycle'
import { createUpstashStore } from 'bolt-token-lifecycle/upstash'

/** The environment the setup reads, and the manager's Bolt options (keys, URL). */
export function tokensOnUpstash(
  env: Record<string, string | undefined>,
  bolt: Omit<TokenManagerOptions, 'store'>,
) {
  // #region setup
  // Upstash's console names them UPSTASH_REDIS_REST_URL/TOKEN; Vercel KV, KV_REST_API_URL/TOKEN.
  const redis = new Redis({
    url: env.UPSTASH_REDIS_REST_URL ?? env.KV_REST_API_URL ?? '',
    token: env.UPSTASH_REDIS_REST_TOKEN ?? env.KV_REST_API_TOKEN ?? '',
    retry: { retries: 1, backoff: () => 100 }, // fail fast: the default retries back off for seconds
    signal: () => AbortSignal.timeout(2_000), // each request's deadline: a function, see below
  })
  const store = createUpstashStore(redis, {
    prefix: 'shop-a:bolt:', // isolates applications sharing one database (default 'bolt-tokens:')
  })
  const tokens = createTokenManager({ ...bolt, store })
  // #endregion
  return { tokens, store }
}
