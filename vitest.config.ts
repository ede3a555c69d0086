import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Examples import the package by name, as merchants do; tests run them against the source.
    alias: [
      { find: /^bolt-token-lifecycle$/, replacement: source('./src/index.ts') },
      { find: /^bolt-token-lifecycle\/emulator$/, replacement: source('./src/emulator/index.ts') },
      {
        find: /^bolt-token-lifecycle\/memory$/,
        replacement: source('./adapters/storage/memory.ts'),
      },
      { find: /^bolt-token-lifecycle\/fetch$/, replacement: source('./adapters/http/fetch.ts') },
      { find: /^bolt-token-lifecycle\/ky$/, replacement: source('./adapters/http/ky.ts') },
      {
        find: /^bolt-token-lifecycle\/undici$/,
        replacement: source('./adapters/http/undici.ts'),
      },
      { find: /^bolt-token-lifecycle\/redis$/, replacement: source('./adapters/storage/redis.ts') },
      {
        find: /^bolt-token-lifecycle\/cloudflare$/,
        replacement: source('./adapters/storage/cloudflare.ts'),
      },
      {
        find: /^bolt-token-lifecycle\/upstash$/,
        replacement: source('./adapters/storage/upstash.ts'),
      },
      {
        find: /^bolt-token-lifecycle\/deno-kv$/,
        replacement: source('./adapters/storage/deno-kv.ts'),
      },
      {
        find: /^bolt-token-lifecycle\/postgres$/,
        replacement: source('./adapters/storage/postgres.ts'),
      },
      { find: /^bolt-token-lifecycle\/testing$/, replacement: source('./src/testing/index.ts') },
      { find: /^bolt-token-lifecycle\/machine$/, replacement: source('./src/machine/index.ts') },
      { find: /^bolt-token-lifecycle\/nestjs$/, replacement: source('./adapters/nestjs/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Picks the Redis for the whole run: REDIS_URL, else its own redis-server (DESIGN.md §8).
    globalSetup: ['test/support/redis-global-setup.ts'],
    setupFiles: ['test/support/secret-equality.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
