import { realpathSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import type { NextConfig } from 'next'

// The example imports ../shared and (through tsconfig.json's paths) the library's source, both
// outside this folder: Turbopack's root must hold them, and the `next` package it resolves.
// In your app, `npm install bolt-token-lifecycle` and drop this.
const nextPackage = realpathSync(require.resolve('next/package.json'))
let root = join(__dirname, '..', '..')
while (relative(root, nextPackage).startsWith(`..${sep}`)) root = dirname(root)

const nextConfig: NextConfig = {
  turbopack: { root },
  outputFileTracingRoot: root,
}

export default nextConfig
