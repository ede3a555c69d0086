/**
 * `BoltTokenErrorFilter` over HTTP: every `BoltTokenError` code gets the answer the Express,
 * Fastify and Hono examples give (their shared `errorResponse`), 5xx are logged once and 4xx
 * not, and everything else is left to Nest and to the app's own filters.
 */
import {
  type ArgumentsHost,
  BadRequestException,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  Param,
  Res,
} from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import {
  BoltAccountError,
  BoltTokenError,
  ErrorCode,
  type TokenManagerOptions,
} from 'bolt-token-lifecycle'
import {
  type BoltErrorLogEntry,
  BoltTokenErrorFilter,
  BoltTokensModule,
} from 'bolt-token-lifecycle/nestjs'
import type { Response } from 'express'
import { beforeEach, describe, expect, it } from 'vitest'
import { errorResponse } from '../../examples/shared/http-errors.js'
import { errorCollector, listenNest } from './nest-app.js'

/** What the route `GET /throw/:id` throws. */
const thrown = new Map<string, unknown>()

@Controller()
class ThrowingController {
  @Get('throw/:id')
  throwIt(@Param('id') id: string): never {
    throw thrown.get(id)
  }

  // A response already under way when the error comes: it can only be ended.
  @Get('late')
  late(@Res() response: Response): never {
    response.writeHead(200, { 'content-type': 'text/plain' })
    response.write('partial')
    throw new BoltTokenError('SERVER_ERROR', 'Bolt answered 502.', { status: 502 })
  }
}

/** Stands for an app's own catch-everything filter. */
@Catch()
class CatchAllFilter implements ExceptionFilter {
  catch(_error: unknown, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().status(418).json({ caughtBy: 'catch-all' })
  }
}

// A module made from options needs a valid configuration, though no request reaches Bolt here.
const options: TokenManagerOptions = { clientId: 'pk_test', clientSecret: 'sk_test' }

const accountRefusal = (status: number, retryAfterMs?: number) =>
  new BoltAccountError(`Bolt's Account API answered ${status}.`, {
    status,
    errors: [{ code: 2001005, message: 'Missing address fields: locality' }],
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })

/** One error of every code, then the variants that change the answer (Retry-After, Bolt's status). */
const cases: [string, BoltTokenError][] = [
  ...Object.values(ErrorCode).map((code): [string, BoltTokenError] => [
    code,
    new BoltTokenError(code, `A ${code} error.`),
  ]),
  [
    'RATE_LIMITED-retry-after',
    new BoltTokenError('RATE_LIMITED', 'Slow down.', { retryAfterMs: 30_000 }),
  ],
  [
    'SERVER_ERROR-retry-after',
    new BoltTokenError('SERVER_ERROR', 'Busy.', { retryAfterMs: 1_500 }),
  ],
  ...[400, 403, 404, 409, 422, 502].map((status): [string, BoltTokenError] => [
    `ACCOUNT_API_ERROR-${status}`,
    accountRefusal(status),
  ]),
  ['ACCOUNT_API_ERROR-429', accountRefusal(429, 12_000)],
]

describe('BoltTokenErrorFilter', () => {
  let logged: BoltErrorLogEntry[]

  beforeEach(() => {
    logged = []
    thrown.clear()
  })

  const withModule = () =>
    listenNest({
      imports: [
        BoltTokensModule.forRoot({
          tokens: options,
          logServerError: (entry) => logged.push(entry),
        }),
      ],
      controllers: [ThrowingController],
      providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
    })

  it('answers every BoltTokenError code as the other examples do, and logs only the 5xx', async () => {
    const { url } = await withModule()
    expect(cases.length).toBe(Object.values(ErrorCode).length + 9)
    for (const [id, error] of cases) thrown.set(id, error)

    const expectedLogs: BoltErrorLogEntry[] = []
    for (const [id, error] of cases) {
      const answer = await fetch(`${url}/throw/${id}?from=test`)
      const expected = errorResponse(error)
      expect({ id, status: answer.status }).toEqual({ id, status: expected.status })
      expect(await answer.json()).toEqual(expected.body)
      expect(answer.headers.get('retry-after')).toBe(expected.headers['retry-after'] ?? null)
      if (expected.status >= 500) {
        expectedLogs.push({
          method: 'GET',
          path: `/throw/${id}`,
          status: expected.status,
          error: error.toJSON(),
        })
      }
    }
    expect(logged).toEqual(expectedLogs)
    // Each kind of answer shows up: the login modal, a refused login, retry later, a bug.
    expect(new Set(cases.map(([, error]) => errorResponse(error).status))).toEqual(
      new Set([400, 401, 403, 404, 409, 500, 503]),
    )
  })

  it('catches a BoltTokenError from another copy of the package', async () => {
    const { url } = await withModule()
    const foreign = Object.assign(new Error('This session is view-only.'), {
      name: 'BoltTokenError',
      code: 'SCOPE_REQUIRED',
    })
    expect(foreign).not.toBeInstanceOf(BoltTokenError)
    thrown.set('foreign', foreign)
    const answer = await fetch(`${url}/throw/foreign`)
    expect(answer.status).toBe(403)
    expect(await answer.json()).toEqual({
      error: 'SCOPE_REQUIRED',
      action: 'show_login_modal',
      message: 'This session is view-only.',
    })
  })

  it('leaves other errors to Nest', async () => {
    const { url } = await withModule()
    thrown.set('plain', new Error('a bug'))
    thrown.set('http', new BadRequestException('Not a number.'))
    const plain = await fetch(`${url}/throw/plain`)
    expect(plain.status).toBe(500)
    expect(await plain.json()).toEqual({ statusCode: 500, message: 'Internal server error' })
    const http = await fetch(`${url}/throw/http`)
    expect(http.status).toBe(400)
    expect(await http.json()).toEqual({
      statusCode: 400,
      message: 'Not a number.',
      error: 'Bad Request',
    })
    expect(logged).toEqual([])
  })

  it('answers Bolt’s errors even beside a catch-all filter registered before it', async () => {
    const { url } = await listenNest({
      imports: [BoltTokensModule.forRoot({ tokens: options, logServerError: () => {} })],
      controllers: [ThrowingController],
      providers: [
        { provide: APP_FILTER, useClass: CatchAllFilter },
        { provide: APP_FILTER, useClass: BoltTokenErrorFilter },
      ],
    })
    thrown.set('bolt', new BoltTokenError('NOT_AUTHENTICATED', 'No session.'))
    thrown.set('other', new Error('a bug'))
    const bolt = await fetch(`${url}/throw/bolt`)
    expect(bolt.status).toBe(401)
    expect(await bolt.json()).toEqual({ error: 'NOT_AUTHENTICATED', action: 'show_login_modal' })
    const other = await fetch(`${url}/throw/other`)
    expect(other.status).toBe(418)
    expect(await other.json()).toEqual({ caughtBy: 'catch-all' })
  })

  it('ends a response already under way, and still logs the failure', async () => {
    const { url } = await withModule()
    const answer = await fetch(`${url}/late`)
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('partial')
    expect(logged).toEqual([
      {
        method: 'GET',
        path: '/late',
        status: 503,
        error: expect.objectContaining({ code: 'SERVER_ERROR' }),
      },
    ])
  })

  it('logs through Nest’s Logger without the module’s logServerError, and works without the module', async () => {
    const logger = errorCollector()
    const { url } = await listenNest(
      {
        controllers: [ThrowingController],
        providers: [{ provide: APP_FILTER, useClass: BoltTokenErrorFilter }],
      },
      logger,
    )
    const error = new BoltTokenError('INVALID_CLIENT', 'Bolt rejected the API key.', {
      status: 401,
    })
    thrown.set('client', error)
    const answer = await fetch(`${url}/throw/client`)
    expect(answer.status).toBe(500)
    expect(await answer.json()).toEqual({ error: 'INTERNAL_ERROR' })
    expect(logger.errors).toEqual([
      [
        { method: 'GET', path: '/throw/client', status: 500, error: error.toJSON() },
        undefined, // Nest's place for a stack trace
        'BoltTokenErrorFilter',
      ],
    ])
  })
})
