/**
 * Starts the Express example: `npx tsx examples/express/server.ts` (`PORT=8080` to choose the
 * port). Against the built-in Bolt emulator, or Bolt's sandbox with your keys in
 * `BOLT_PUBLISHABLE_KEY` and `BOLT_API_KEY` (see ../shared/connect-bolt.ts).
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { connectBolt, tryItInstructions } from '../shared/connect-bolt.js'
import { createApp } from './app.js'

export async function startServer(
  options: { port?: number; host?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const { port = 3000, host = '127.0.0.1', env = process.env } = options
  const bolt = await connectBolt(env)
  const app = createApp({ tokens: bolt.tokens, boltBaseUrl: bolt.baseUrl })
  const server = app.listen(port, host)
  await once(server, 'listening')
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    bolt,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve))
      server.closeAllConnections()
      await closed
      await bolt.close()
    },
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, bolt } = await startServer({ port: Number(process.env.PORT ?? 3000) })
  console.log(tryItInstructions(url, bolt))
}
