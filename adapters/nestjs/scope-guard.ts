/**
 * `@RequiresBoltScope()`: routes that need what only some sessions can do
 * (`bolt.account.manage`, which lasts one hour after a login).
 *
 * @module
 */
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import {
  type AccessTokenOptions,
  BoltTokenError,
  SCOPE_MANAGE,
  type TokenManager,
} from '../../src/index.js'
import { BOLT_TOKENS, BOLT_TOKENS_MODULE_OPTIONS, type BoltTokensModuleOptions } from './options.js'

const REQUIRED_SCOPE = 'bolt-token-lifecycle:required-scope'

/**
 * Lets a request through when its session can have a token for the scope its route
 * requires (`@RequiresBoltScope`); routes without one pass. It asks the token manager, as
 * `getAccessToken(sessionId, { scope })` would (refreshing an expired token when the scope is
 * `bolt.account.view`), and throws what it throws: `SCOPE_REQUIRED` for a view-only session
 * (the step-up: show the login modal again), `NOT_AUTHENTICATED` without a session.
 * `BoltTokenErrorFilter` turns those into `403` and `401` answers.
 * @group Frameworks
 */
@Injectable()
export class BoltScopeGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(BOLT_TOKENS) private readonly tokens: TokenManager,
    @Inject(BOLT_TOKENS_MODULE_OPTIONS) private readonly options: BoltTokensModuleOptions<unknown>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<AccessTokenOptions['scope']>(REQUIRED_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ])
    if (scope === undefined) return true
    const { getSessionId } = this.options
    if (getSessionId === undefined) {
      throw new BoltTokenError(
        'INVALID_ARGUMENT',
        '@RequiresBoltScope needs getSessionId in the options of BoltTokensModule.forRoot (or forRootAsync): how a request names its shopper session.',
      )
    }
    const sessionId = await getSessionId(context.switchToHttp().getRequest(), context)
    if (sessionId === undefined) {
      throw new BoltTokenError(
        'NOT_AUTHENTICATED',
        'This request has no shopper session: show the login modal and pass its code to exchangeCode().',
      )
    }
    // The token itself is not kept: the route asks for it again, from the session, when it calls Bolt.
    await this.tokens.getAccessToken(sessionId, { scope })
    return true
  }
}

/**
 * Marks a route (or every route of a controller) as needing `scope`, checked by
 * {@link BoltScopeGuard} before the handler runs: a view-only session gets `SCOPE_REQUIRED`
 * (`403`, `action: 'show_login_modal'` through `BoltTokenErrorFilter`) and the handler is not
 * called. `bolt.account.view` lets any session with tokens through (refreshing an expired
 * one). Needs `getSessionId` in the module's options.
 *
 * @example
 * ```ts
 * @Post('account/addresses')
 * @RequiresBoltScope('bolt.account.manage')
 * addAddress(@Body() address: AddressInput) { … }
 * ```
 * @group Frameworks
 */
export function RequiresBoltScope(
  scope: NonNullable<AccessTokenOptions['scope']> = SCOPE_MANAGE,
): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), UseGuards(BoltScopeGuard))
}
