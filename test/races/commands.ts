// The commands fast-check strings together. Each one starts an operation and returns at once
// (the operations run concurrently, interleaved by the scheduler), then checks what must hold
// after every command. scheduledModelRun releases each command's run as a scheduled task too,
// so commands also land at random points among the operations' I/O.
import fc from 'fast-check'
import type { StoreFault } from './scheduled-io.js'
import type { RaceModel, RaceWorld } from './world.js'

type RaceCommand = fc.AsyncCommand<RaceModel, RaceWorld>

class ExchangeCode implements RaceCommand {
  constructor(readonly manager: number) {}
  check(): boolean {
    return true
  }
  async run(model: RaceModel, world: RaceWorld): Promise<void> {
    model.lastLogin += 1
    model.logoutsSinceLogin = 0
    world.exchangeCode(this.manager)
    await world.afterCommand()
  }
  toString(): string {
    return `M${this.manager}.exchangeCode(bolt.login().code)`
  }
}

/** A login (step-up) whose code Bolt rejects with `invalid_grant`: it must keep the session. */
class ExchangeRejectedCode implements RaceCommand {
  constructor(readonly manager: number) {}
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0
  }
  async run(model: RaceModel, world: RaceWorld): Promise<void> {
    model.lastLogin += 1
    world.exchangeCode(this.manager, true)
    await world.afterCommand()
  }
  toString(): string {
    return `M${this.manager}.exchangeCode(a code Bolt rejects)`
  }
}

class GetAccessToken implements RaceCommand {
  constructor(readonly manager: number) {}
  /** Before any login it can only say NOT_AUTHENTICATED: not worth a command. */
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0
  }
  async run(_model: RaceModel, world: RaceWorld): Promise<void> {
    world.getAccessToken(this.manager)
    await world.afterCommand()
  }
  toString(): string {
    return `M${this.manager}.getAccessToken()`
  }
}

class Logout implements RaceCommand {
  constructor(readonly manager: number) {}
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0 && model.logoutsSinceLogin < 2
  }
  async run(model: RaceModel, world: RaceWorld): Promise<void> {
    model.logoutsSinceLogin += 1
    world.logout(this.manager)
    await world.afterCommand()
  }
  toString(): string {
    return `M${this.manager}.logout()`
  }
}

class Expire implements RaceCommand {
  check(): boolean {
    return true
  }
  async run(_model: RaceModel, world: RaceWorld): Promise<void> {
    world.expire()
    await world.afterCommand()
  }
  toString(): string {
    return 'bolt.advanceClock(61 min)'
  }
}

class RevokeNewestLogin implements RaceCommand {
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0 && model.revocations < 2
  }
  async run(model: RaceModel, world: RaceWorld): Promise<void> {
    model.revocations += 1
    world.revokeNewestLogin()
    await world.afterCommand()
  }
  toString(): string {
    return 'bolt.revokeSession(newest login)'
  }
}

/**
 * Issue 14: the manager's next write fails, having landed (`landThenFail`: a client timeout
 * after the server ran the script) or not (`failUnlanded`: a dropped connection).
 */
class ArmStoreFault implements RaceCommand {
  constructor(
    readonly manager: number,
    readonly fault: StoreFault,
  ) {}
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0
  }
  async run(_model: RaceModel, world: RaceWorld): Promise<void> {
    world.armStoreFault(this.manager, this.fault)
    await world.afterCommand()
  }
  toString(): string {
    return `M${this.manager}.store.${this.fault}()`
  }
}

/** Issue 14: Bolt answers its next token request(s) 503, processing nothing. */
class Inject503 implements RaceCommand {
  constructor(readonly times: number) {}
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0
  }
  async run(_model: RaceModel, world: RaceWorld): Promise<void> {
    world.inject503(this.times)
    await world.afterCommand()
  }
  toString(): string {
    return `bolt.injectFault(faults.html(503), { times: ${this.times} })`
  }
}

/** Issue 14: the answer to the manager's next lease-taking write comes back nearly a lease late. */
class SlowStoreAnswer implements RaceCommand {
  constructor(readonly manager: number) {}
  check(model: Readonly<RaceModel>): boolean {
    return model.lastLogin > 0 && model.stalls < 2
  }
  async run(model: RaceModel, world: RaceWorld): Promise<void> {
    model.stalls += 1
    world.armStall(this.manager)
    await world.afterCommand()
  }
  toString(): string {
    return `M${this.manager}.store.slowAnswerToNextLease()`
  }
}

/** Options of {@link raceCommands}. */
export interface RaceCommandOptions {
  /** How many managers share the store. */
  managers: number
  /** Whether the managers write with different keys (world.ts, KEY_RINGS). */
  keyRings: boolean
  maxCommands: number
  size: fc.SizeForArbitrary
  /** The `replayPath` fast-check printed in a counterexample's commands, to replay them. */
  replayPath?: string | undefined
}

/**
 * The command sequences of one run. fast-check picks among the arbitraries evenly, so the
 * common call (getAccessToken) and expiry (which makes refreshes happen) are listed more than once.
 */
export function raceCommands({ managers, maxCommands, size, replayPath }: RaceCommandOptions) {
  const manager = fc.nat({ max: managers - 1 })
  const exchange = manager.map((index) => new ExchangeCode(index))
  const getAccessToken = manager.map((index) => new GetAccessToken(index))
  const expire = fc.constant(new Expire())
  const arbitraries: fc.Arbitrary<RaceCommand>[] = [
    exchange,
    getAccessToken,
    getAccessToken,
    getAccessToken,
    manager.map((index) => new Logout(index)),
    expire,
    expire,
    fc.constant(new RevokeNewestLogin()),
    manager.map((index) => new ExchangeRejectedCode(index)),
    fc
      .tuple(manager, fc.constantFrom<StoreFault>('landThenFail', 'failUnlanded'))
      .map(([index, fault]) => new ArmStoreFault(index, fault)),
    fc.constantFrom(1, 3).map((times) => new Inject503(times)),
    manager.map((index) => new SlowStoreAnswer(index)),
  ]
  return fc.commands(arbitraries, {
    maxCommands,
    size,
    ...(replayPath === undefined ? {} : { replayPath }),
  })
}
