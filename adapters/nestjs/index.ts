/**
 * bolt-token-lifecycle for NestJS (`bolt-token-lifecycle/nestjs`): a module that provides the
 * token manager, a decorator for routes that need `bolt.account.manage`, and an exception
 * filter that answers every `BoltTokenError` as the library's `httpAnswerFor` says.
 *
 * Needs `@nestjs/common` and `@nestjs/core` (≥ 11), which are optional peer dependencies: the
 * package's other entries never load them.
 *
 * @example
 * ```ts
 * import { APP_FILTER } from '@nestjs/core'
 * import { BoltTokenErrorFilter, BoltTokensModule } from 'bolt-token-lifecycle/nestjs'
 *
 * @Module({
 *   imports: [
 *     BoltTokensModule.forRoot({
 *       tokens: { clientId: process.env.BOLT_PUBLISHABLE_KEY!, clientSecret: process.env.BOLT_API_KEY! },
 *       getSessionId: (request: Request) => request.session.id,
 *     }),
 *   ],
 *   providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
 * })
 * export class AppModule {}
 * ```
 *
 * @module
 */
export { BoltTokenErrorFilter } from './error-filter.js'
export {
  BOLT_TOKENS,
  type BoltErrorLogEntry,
  type BoltTokensModuleOptions,
  InjectBoltTokens,
} from './options.js'
export { BoltScopeGuard, RequiresBoltScope } from './scope-guard.js'
export {
  BoltTokensModule,
  type BoltTokensModuleAsyncOptions,
  type BoltTokensModuleScope,
} from './tokens-module.js'
