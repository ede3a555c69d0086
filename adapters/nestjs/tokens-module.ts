/**
 * `BoltTokensModule`: provides one token manager to a Nest application.
 *
 * @module
 */
import {
  type DynamicModule,
  type FactoryProvider,
  Module,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common'
import { createTokenManager } from '../../src/index.js'
import {
  BOLT_TOKENS,
  BOLT_TOKENS_MODULE_OPTIONS,
  type BoltTokensModuleOptions,
  isTokenManager,
} from './options.js'

/**
 * Whether the module is global: its manager can then be injected in every module, and
 * `@RequiresBoltScope` works in every controller, without importing it again.
 * @group Frameworks
 */
export interface BoltTokensModuleScope {
  /** @default true */
  global?: boolean
}

/**
 * What `BoltTokensModule.forRootAsync` takes: a factory of {@link BoltTokensModuleOptions},
 * with the providers it needs (a `ConfigService`, your Redis client…).
 * @group Frameworks
 */
export interface BoltTokensModuleAsyncOptions<TRequest = unknown>
  extends Pick<ModuleMetadata, 'imports'>,
    BoltTokensModuleScope {
  /** Returns the options (or a promise of them); Nest calls it once, with `inject`'s providers. */
  useFactory: FactoryProvider<BoltTokensModuleOptions<TRequest>>['useFactory']
  /** The providers `useFactory` takes, in order. */
  inject?: FactoryProvider['inject']
}

/**
 * Provides one `TokenManager` to a Nest application, under {@link BOLT_TOKENS}, for
 * `@InjectBoltTokens()`, `@RequiresBoltScope()` and `BoltTokenErrorFilter`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     BoltTokensModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService, REDIS],
 *       useFactory: (config: ConfigService, redis: Redis) => ({
 *         tokens: {
 *           clientId: config.getOrThrow('BOLT_PUBLISHABLE_KEY'),
 *           clientSecret: config.getOrThrow('BOLT_API_KEY'),
 *           store: createRedisStore(redis),
 *         },
 *         getSessionId: (request: Request) => request.session.id,
 *       }),
 *     }),
 *   ],
 *   providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
 * })
 * export class AppModule {}
 * ```
 * @group Frameworks
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module class, configured through its static forRoot
export class BoltTokensModule {
  /** The module, with options known when the application module is declared. */
  static forRoot<TRequest = unknown>(
    options: BoltTokensModuleOptions<TRequest> & BoltTokensModuleScope,
  ): DynamicModule {
    const { global, ...moduleOptions } = options
    return {
      ...withOptionsProvider({ provide: BOLT_TOKENS_MODULE_OPTIONS, useValue: moduleOptions }),
      global: global ?? true,
    }
  }

  /** The module, with options made by a factory from other providers (configuration, clients). */
  static forRootAsync<TRequest = unknown>(
    options: BoltTokensModuleAsyncOptions<TRequest>,
  ): DynamicModule {
    return {
      ...withOptionsProvider({
        provide: BOLT_TOKENS_MODULE_OPTIONS,
        useFactory: options.useFactory,
        inject: options.inject ?? [],
      }),
      imports: options.imports ?? [],
      global: options.global ?? true,
    }
  }
}

/**
 * The module around `optionsProvider` (of {@link BOLT_TOKENS_MODULE_OPTIONS}): the manager is
 * made from, or is, the options' `tokens`.
 */
function withOptionsProvider(optionsProvider: Provider): DynamicModule {
  return {
    module: BoltTokensModule,
    providers: [
      optionsProvider,
      {
        provide: BOLT_TOKENS,
        useFactory: ({ tokens }: BoltTokensModuleOptions) =>
          isTokenManager(tokens) ? tokens : createTokenManager(tokens),
        inject: [BOLT_TOKENS_MODULE_OPTIONS],
      },
    ],
    exports: [BOLT_TOKENS, BOLT_TOKENS_MODULE_OPTIONS],
  }
}
