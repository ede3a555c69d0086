/**
 * A merchant backend on NestJS 11 (on Express) that logs a Bolt shopper in with the login
 * modal and calls Bolt's Account API on their behalf, with `bolt-token-lifecycle/nestjs`.
 * Run it: `npx tsx examples/nestjs/server.ts`.
 */
import type { NestApplicationOptions } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { NestExpressApplication } from '@nestjs/platform-express'
import type { AppOptions } from '../shared/app-options.js'
import { AppModule } from './app.module.js'

/** The application, ready to `listen`. `nest`: Nest's own options (`logger`, …). */
export async function createApp(
  options: AppOptions,
  nest: NestApplicationOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(options), {
    ...nest,
    bodyParser: false,
  })
  app.disable('x-powered-by')
  // biome-ignore lint/correctness/useHookAtTopLevel: Nest's method, not a React hook
  app.useBodyParser('json', { limit: '16kb' })
  return app
}
