/**
 * Installs the runtimes' binaries (workerd, Deno, Bun, Node 24) into runtimes/node_modules from
 * the npm registry, if they are missing or stale: `npm run runtimes:install`. The runtime matrix
 * does this itself; `npm test` needs it first for the suites that run a store inside its engine
 * (Durable Objects in workerd, Deno KV on Deno). Without it those suites skip loudly, and
 * under CI they fail.
 */
import { ensureRuntimes } from './lib/install.js'

await ensureRuntimes((line) => console.log(line))
