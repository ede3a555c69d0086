/**
 * Starts a small Nest application on a free loopback port for the NestJS module's tests, and
 * closes it after the test.
 */
import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { afterEach } from 'vitest'

/** A Nest application listening on loopback. */
export interface RunningNestApp {
  app: INestApplication
  url: string
}

const running: INestApplication[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()))
})

/** Compiles `metadata` into an application on Express and listens on a free loopback port. */
export async function listenNest(
  metadata: ModuleMetadata,
  logger: LoggerService | false = false,
): Promise<RunningNestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile()
  const app = moduleRef.createNestApplication({ logger })
  running.push(app)
  await app.listen(0, '127.0.0.1')
  return { app, url: await app.getUrl() }
}

/** A Nest logger that keeps what is logged at the `error` level, and drops the rest. */
export function errorCollector(): LoggerService & { errors: unknown[][] } {
  const errors: unknown[][] = []
  const drop = () => {}
  return {
    errors,
    error: (...args: unknown[]) => errors.push(args),
    log: drop,
    warn: drop,
    debug: drop,
    verbose: drop,
    fatal: drop,
  }
}
