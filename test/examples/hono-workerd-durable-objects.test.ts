// The Hono-on-workerd example's Durable Objects variant (examples/hono-workerd/
// worker-durable-objects.ts), through the example's own flow test, bundled from the sources.
// The runtime matrix runs both variants from the packed package (--only hono-workerd).
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'esbuild'
import { expect, it } from 'vitest'
import { runHonoWorkerdFlow } from '../../examples/hono-workerd/flow-test.js'
import { describeWorkerd, workerdBinary } from '../support/durable-objects/workerd.js'

const SOURCES: Record<string, string> = {
  'bolt-token-lifecycle': 'src/index.ts',
  'bolt-token-lifecycle/cloudflare': 'adapters/storage/cloudflare.ts',
  'bolt-token-lifecycle/fetch': 'adapters/http/fetch.ts',
  'bolt-token-lifecycle/memory': 'adapters/storage/memory.ts',
}

/** Resolves the package's subpaths to this repository's sources. */
const fromSources: Plugin = {
  name: 'bolt-token-lifecycle-sources',
  setup(builder) {
    builder.onResolve({ filter: /^bolt-token-lifecycle(\/.*)?$/ }, (args) => {
      const source = SOURCES[args.path]
      if (source === undefined) return { errors: [{ text: `no source mapped for ${args.path}` }] }
      return { path: fileURLToPath(new URL(`../../${source}`, import.meta.url)) }
    })
  },
}

describeWorkerd('the Hono example on workerd, tokens in Durable Objects', () => {
  it('runs the login-modal flow: login, refresh to view-only, step-up, logout', {
    timeout: 60_000,
  }, async () => {
    const steps = await runHonoWorkerdFlow({
      workerd: workerdBinary ?? '',
      variant: 'durable-objects',
      plugins: [fromSources],
    })
    expect(steps).toHaveLength(10)
    expect(steps).toContain('the token expires: the account route refreshes (view-only)')
    expect(steps.at(-1)).toBe('no secret in any answer or log line')
  })
})
