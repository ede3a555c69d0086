/**
 * `BoltTokensModule` resolved by Nest's own injector (`@nestjs/testing`): `forRoot` and
 * `forRootAsync` provide a working token manager (checked against a real emulator), a
 * manager of your own is provided as it is, and the module is global unless told otherwise.
 */
import { Inject, Injectable, Module, type ModuleMetadata } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import {
  createTokenManager,
  isBoltTokenError,
  type TokenManager,
  type TokenManagerOptions,
} from 'bolt-token-lifecycle'
import { type BoltEmulator, emulatorManagerOptions } from 'bolt-token-lifecycle/emulator'
import { BOLT_TOKENS, BoltTokensModule, InjectBoltTokens } from 'bolt-token-lifecycle/nestjs'
import { beforeEach, describe, expect, it } from 'vitest'
import { startEmulator } from '../support/harness.js'
import { errorCollector } from './nest-app.js'

const CONFIG = Symbol('CONFIG')

/** Stands for a configuration module (`@nestjs/config`'s, say): the manager's options. */
@Module({})
class ConfigModule {
  static with(options: TokenManagerOptions) {
    return {
      module: ConfigModule,
      providers: [{ provide: CONFIG, useValue: options }],
      exports: [CONFIG],
    }
  }
}

/** A provider of a feature module that does not import BoltTokensModule. */
@Injectable()
class CheckoutService {
  constructor(@InjectBoltTokens() readonly tokens: TokenManager) {}
}

@Module({ providers: [CheckoutService], exports: [CheckoutService] })
class CheckoutModule {}

/** Compiles a testing module, keeping Nest's error log out of the test output. */
function compile(imports: NonNullable<ModuleMetadata['imports']>) {
  return Test.createTestingModule({ imports }).setLogger(errorCollector()).compile()
}

describe('BoltTokensModule', () => {
  let bolt: BoltEmulator

  beforeEach(async () => {
    bolt = await startEmulator()
  })

  /** Logs a shopper in through `tokens`: the manager works and talks to this emulator. */
  async function expectWorkingManager(tokens: TokenManager): Promise<void> {
    expect(tokens.baseUrl).toBe(bolt.url)
    const status = await tokens.exchangeCode('session-1', { code: bolt.login().code })
    expect(status).toMatchObject({ state: 'fullyScoped', canManage: true })
    expect(bolt.stats.codeExchanges).toBe(1)
  }

  it('forRoot creates the manager from createTokenManager’s options', async () => {
    const moduleRef = await compile([
      BoltTokensModule.forRoot({ tokens: emulatorManagerOptions(bolt) }),
    ])
    const tokens = moduleRef.get<TokenManager>(BOLT_TOKENS)
    await expectWorkingManager(tokens)
    await moduleRef.close()
  })

  it('forRoot provides a manager you created, as it is', async () => {
    const yours = createTokenManager(emulatorManagerOptions(bolt))
    const moduleRef = await compile([BoltTokensModule.forRoot({ tokens: yours })])
    expect(moduleRef.get(BOLT_TOKENS)).toBe(yours)
    await moduleRef.close()
  })

  it('forRootAsync makes the options with the providers it injects', async () => {
    const config = emulatorManagerOptions(bolt)
    const calls: TokenManagerOptions[] = []
    const moduleRef = await compile([
      BoltTokensModule.forRootAsync({
        imports: [ConfigModule.with(config)],
        inject: [CONFIG],
        useFactory: async (options: TokenManagerOptions) => {
          calls.push(options)
          return { tokens: options }
        },
      }),
      CheckoutModule,
    ])
    expect(calls).toHaveLength(1)
    expect(calls[0]).toBe(config)
    const tokens = moduleRef.get<TokenManager>(BOLT_TOKENS)
    await expectWorkingManager(tokens)
    // Global: a module that does not import it gets the same manager.
    expect(moduleRef.get(CheckoutService).tokens).toBe(tokens)
    await moduleRef.close()
  })

  it('is global by default: every module can inject the manager', async () => {
    const moduleRef = await compile([
      BoltTokensModule.forRoot({ tokens: emulatorManagerOptions(bolt) }),
      CheckoutModule,
    ])
    expect(moduleRef.get(CheckoutService).tokens).toBe(moduleRef.get(BOLT_TOKENS))
    await moduleRef.close()
  })

  it('with global: false, only modules that import it can inject the manager', async () => {
    const options = { tokens: emulatorManagerOptions(bolt), global: false }
    await expect(compile([BoltTokensModule.forRoot(options), CheckoutModule])).rejects.toThrow(
      /CheckoutService \(\?\)[\s\S]*Symbol\(BOLT_TOKENS\) at index \[0\] is available in the CheckoutModule/,
    )

    @Module({
      imports: [BoltTokensModule.forRoot(options)],
      providers: [CheckoutService],
      exports: [CheckoutService],
    })
    class ImportingCheckoutModule {}
    const moduleRef = await compile([ImportingCheckoutModule])
    await expectWorkingManager(moduleRef.get(CheckoutService).tokens)
    await moduleRef.close()
  })

  it('fails the application’s start with INVALID_ARGUMENT when the options are wrong', async () => {
    const wrong = { ...emulatorManagerOptions(bolt), clientId: '' }
    const failure = await compile([BoltTokensModule.forRoot({ tokens: wrong })]).catch(
      (error: unknown) => error,
    )
    expect(isBoltTokenError(failure, 'INVALID_ARGUMENT')).toBe(true)
    expect(String((failure as Error).message)).toContain('clientId')
  })

  it('@InjectBoltTokens() is @Inject(BOLT_TOKENS)', async () => {
    @Injectable()
    class ExplicitService {
      constructor(@Inject(BOLT_TOKENS) readonly tokens: TokenManager) {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [BoltTokensModule.forRoot({ tokens: emulatorManagerOptions(bolt) }), CheckoutModule],
      providers: [ExplicitService],
    }).compile()
    expect(moduleRef.get(ExplicitService).tokens).toBe(moduleRef.get(CheckoutService).tokens)
    await moduleRef.close()
  })
})
