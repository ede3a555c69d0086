/**
 * Starts the NestJS example: `npx tsx examples/nestjs/server.ts` (`PORT=8080` to choose the
 * port). Against the built-in Bolt emulator, or Bolt's sandbox with your keys in
 * `BOLT_PUBLISHABLE_KEY` and `BOLT_API_KEY` (see ../shared/connect-bolt.ts).
 */
import { pathToFileURL } from 'node:url'
import type { NestApplicationOptions } from '@nestjs/common'
import { connectBolt, tryItInstructions } from '../shared/connect-bolt.js'
import { createApp } from './app.js'

export async function startServer(
  options: {
    port?: number
    host?: string
    env?: NodeJS.ProcessEnv
    logger?: NestApplicationOptions['logger']
  } = {},
) {
  const { port = 3000, host = '127.0.0.1', env = process.env } = options
  const bolt = await connectBolt(env)
  const app = await createApp(
    { tokens: bolt.tokens, boltBaseUrl: bolt.baseUrl },
    options.logger === undefined ? {} : { logger: options.logger },
  )
  await app.listen(port, host)
  return {
    url: await app.getUrl(),
    bolt,
    async close() {
      await app.close()
      await bolt.close()
    },
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, bolt } = await startServer({ port: Number(process.env.PORT ?? 3000) })
  console.log(tryItInstructions(url, bolt))
}
