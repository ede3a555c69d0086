// docs/stores/cloudflare.md quotes its Worker code from the tested example, and its
// wrangler.toml binds the class the package exports.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const page = read('docs/stores/cloudflare.md')
const blocks = (language: string) =>
  [...page.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (match) => match[1] ?? '',
  )

describe('docs/stores/cloudflare.md', () => {
  it('quotes the Worker code verbatim from examples/hono-workerd/worker-durable-objects.ts', () => {
    const example = read('examples/hono-workerd/worker-durable-objects.ts')
    const [worker] = blocks('ts')
    expect(worker?.length).toBeGreaterThan(200)
    expect(example.includes(worker ?? '')).toBe(true)
  })

  it('binds and migrates the class the package exports, under the binding the example uses', () => {
    const [toml] = blocks('toml')
    expect(toml).toContain('name = "BOLT_SESSIONS"')
    expect(toml).toContain('class_name = "BoltSessionObject"')
    expect(toml).toContain('new_sqlite_classes = ["BoltSessionObject"]')
    expect(read('adapters/storage/cloudflare.ts')).toContain('BoltSessionObject,')
    expect(read('adapters/storage/cloudflare-object.ts')).toContain(
      'export class BoltSessionObject extends DurableObject<unknown>',
    )
  })
})
