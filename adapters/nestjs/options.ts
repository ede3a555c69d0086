/**
 * The options of `BoltTokensModule` and the injection tokens it provides.
 *
 * @module
 */
import { type ExecutionContext, Inject } from '@nestjs/common'
import type { TokenManager, TokenManagerOptions } from '../../src/index.js'

/**
 * The injection token of the `TokenManager` that `BoltTokensModule` provides. Inject it
 * with {@link InjectBoltTokens}, or `@Inject(BOLT_TOKENS)`, or `app.get(BOLT_TOKENS)`.
 * @group Frameworks
 */
export const BOLT_TOKENS: unique symbol = Symbol('BOLT_TOKENS')

/** The injection token of the module's {@link BoltTokensModuleOptions} (the guard and filter read it). */
export const BOLT_TOKENS_MODULE_OPTIONS: unique symbol = Symbol('BOLT_TOKENS_MODULE_OPTIONS')

/**
 * Injects the `TokenManager` of `BoltTokensModule`: `@InjectBoltTokens()` is
 * `@Inject(BOLT_TOKENS)`.
 *
 * @example
 * ```ts
 * @Controller()
 * export class AccountController {
 *   constructor(@InjectBoltTokens() private readonly tokens: TokenManager) {}
 * }
 * ```
 * @group Frameworks
 */
export function InjectBoltTokens(): PropertyDecorator & ParameterDecorator {
  return Inject(BOLT_TOKENS)
}

/**
 * What `BoltTokenErrorFilter` logs about a request it answered with a 5xx: secret-free.
 * @group Frameworks
 */
export interface BoltErrorLogEntry {
  /** The request's HTTP method. */
  method: string
  /** The path without its query string. */
  path: string
  /** The status the filter answered with (5xx). */
  status: number
  /** `error.toJSON()`: name, code, message, and Bolt's status when there was one. */
  error: Record<string, unknown>
}

/**
 * What `BoltTokensModule.forRoot` takes (and `forRootAsync`'s `useFactory` returns).
 *
 * @typeParam TRequest - Your platform's request (Express's `Request`, Fastify's `FastifyRequest`),
 *   as `getSessionId` reads it.
 * @group Frameworks
 */
export interface BoltTokensModuleOptions<TRequest = unknown> {
  /**
   * The token manager: `createTokenManager`'s options, for the module to create it, or a
   * manager you created (shared with code outside Nest, say). One per process.
   */
  tokens: TokenManager | TokenManagerOptions
  /**
   * The shopper session a request belongs to: the id you pass to `exchangeCode` (your session
   * cookie's, `request.session.id`…), or `undefined` when it has none. `@RequiresBoltScope`
   * needs it; a request without a session is refused with `NOT_AUTHENTICATED`.
   */
  getSessionId?: (
    request: TRequest,
    context: ExecutionContext,
  ) => string | undefined | Promise<string | undefined>
  /**
   * Where `BoltTokenErrorFilter` logs the errors it answers with a 5xx (4xx are the shopper's
   * to act on, and not logged).
   * @default Nest's `Logger`, context `BoltTokenErrorFilter`
   */
  logServerError?: (entry: BoltErrorLogEntry) => void
}

/** Whether `tokens` is a manager rather than the options to create one. */
export function isTokenManager(tokens: TokenManager | TokenManagerOptions): tokens is TokenManager {
  return typeof (tokens as Partial<TokenManager>).getAccessToken === 'function'
}
