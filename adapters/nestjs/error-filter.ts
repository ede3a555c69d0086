/**
 * `BoltTokenErrorFilter`: every `BoltTokenError` a route throws, answered as the library's
 * `httpAnswerFor` says (the answers the Express, Fastify and Hono examples give too).
 *
 * @module
 */
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Inject,
  Injectable,
  Logger,
  Optional,
} from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { type BoltTokenError, httpAnswerFor, isBoltTokenError } from '../../src/index.js'
import {
  BOLT_TOKENS_MODULE_OPTIONS,
  type BoltErrorLogEntry,
  type BoltTokensModuleOptions,
} from './options.js'

/**
 * Stands for every `BoltTokenError` in `@Catch`, which matches with `instanceof`: also one
 * thrown by another copy of the package (two versions installed side by side).
 */
// biome-ignore lint/complexity/noStaticOnlyClass: @Catch takes a class; only its instanceof test matters
class AnyBoltTokenError {
  static [Symbol.hasInstance](value: unknown): boolean {
    return isBoltTokenError(value)
  }
}

/**
 * Answers every `BoltTokenError` that reaches it over HTTP with `httpAnswerFor(error)`:
 * `401`/`403` with `action: 'show_login_modal'` when a (new) login cures it, `400` for a
 * refused login, `503` with `Retry-After` when Bolt or the store is having trouble, `500` for
 * the merchant's configuration; 5xx are logged with `error.toJSON()` (`logServerError`).
 * Other errors are not caught: your own filters, or Nest's, answer them.
 *
 * Bind it globally (`{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }`), or on a
 * controller (`@UseFilters(BoltTokenErrorFilter)`); after your own catch-everything filter, if you
 * have one (Nest tries the global filter registered last first). It writes through Nest's HTTP
 * adapter (`HttpAdapterHost`), not through a platform's response object.
 * @group Frameworks
 */
@Catch(AnyBoltTokenError)
@Injectable()
export class BoltTokenErrorFilter implements ExceptionFilter<BoltTokenError> {
  private readonly logger = new Logger(BoltTokenErrorFilter.name)

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Optional()
    @Inject(BOLT_TOKENS_MODULE_OPTIONS)
    private readonly options?: BoltTokensModuleOptions<unknown>,
  ) {}

  /** Answers `error` with {@link httpAnswerFor}'s status, headers and body; logs a 5xx. */
  catch(error: BoltTokenError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost
    const request: unknown = host.switchToHttp().getRequest()
    const response: unknown = host.switchToHttp().getResponse()
    const { status, body, headers } = httpAnswerFor(error)
    if (status >= 500) {
      const url = String(httpAdapter.getRequestUrl(request))
      this.log({
        method: String(httpAdapter.getRequestMethod(request)),
        path: url.split('?')[0] ?? '',
        status,
        error: error.toJSON(),
      })
    }
    if (httpAdapter.isHeadersSent(response)) {
      httpAdapter.end(response)
      return
    }
    for (const [name, value] of Object.entries(headers)) {
      httpAdapter.setHeader(response, name, value)
    }
    httpAdapter.reply(response, body, status)
  }

  private log(entry: BoltErrorLogEntry): void {
    const logServerError = this.options?.logServerError
    if (logServerError === undefined) this.logger.error(entry)
    else logServerError(entry)
  }
}
