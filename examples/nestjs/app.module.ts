/**
 * The example's application module: the token manager from `bolt-token-lifecycle/nestjs`,
 * the routes, and the two exception filters.
 */
import { type DynamicModule, Module } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import type { TokenManager } from 'bolt-token-lifecycle'
import { BOLT_TOKENS, BoltTokenErrorFilter, BoltTokensModule } from 'bolt-token-lifecycle/nestjs'
import type { Request } from 'express'
import { type AppOptions, logToStderr } from '../shared/app-options.js'
import { createBoltAccountApi } from '../shared/bolt-account-api.js'
import { createSessions } from '../shared/sessions.js'
import { BoltController } from './bolt.controller.js'
import { BOLT_ACCOUNT_API, ERROR_LOG, SESSIONS } from './injection-tokens.js'
import { RequestErrorFilter } from './request-error.filter.js'

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module class, configured through its static register
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    const { tokens, sessions = createSessions(), log = logToStderr } = options
    return {
      module: AppModule,
      imports: [
        BoltTokensModule.forRoot({
          // A manager made elsewhere; or createTokenManager's options, for the module to make it.
          tokens,
          // The session @RequiresBoltScope checks: the one the routes pass to the token manager.
          getSessionId: (request: Request) => sessions.get(request.headers.cookie),
          logServerError: log,
        }),
      ],
      controllers: [BoltController],
      providers: [
        { provide: SESSIONS, useValue: sessions },
        { provide: ERROR_LOG, useValue: log },
        {
          provide: BOLT_ACCOUNT_API,
          useFactory: (manager: TokenManager) => createBoltAccountApi(manager, options.boltBaseUrl),
          inject: [BOLT_TOKENS],
        },
        // Nest tries the global filter registered last first: every BoltTokenError gets the
        // library's answer; anything else falls through to RequestErrorFilter.
        { provide: APP_FILTER, useClass: RequestErrorFilter },
        { provide: APP_FILTER, useClass: BoltTokenErrorFilter },
      ],
    }
  }
}
