/**
 * What `BoltTokenErrorFilter` leaves to the app: a body a route cannot use (`BadRequestError`
 * from ../shared/requests.ts), Nest's own 4xx (unparsable JSON, a body over the limit), and
 * anything unexpected, answered by the handler every example shares.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common'
import type { Request, Response } from 'express'
import { type ErrorLogEntry, handleError } from '../shared/http-errors.js'
import { ERROR_LOG } from './injection-tokens.js'

@Catch()
export class RequestErrorFilter implements ExceptionFilter {
  constructor(@Inject(ERROR_LOG) private readonly log: (entry: ErrorLogEntry) => void) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>()
    const response = host.switchToHttp().getResponse<Response>()
    if (response.headersSent) {
      response.end()
      return
    }
    const { status, body, headers } = handleError(
      error,
      { method: request.method, url: request.originalUrl },
      this.log,
    )
    response.status(status).set(headers).json(body)
  }
}
