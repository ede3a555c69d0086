/**
 * What every section gets: the settings, the emulator and, when there is one, Redis.
 *
 * @module
 */
import type { RemoteEmulator } from './emulator.js'
import type { Metrics } from './metrics.js'
import type { RedisTarget } from './redis-target.js'
import type { Settings } from './settings.js'

/** The run's shared parts. */
export interface SectionContext {
  settings: Settings
  emulator: RemoteEmulator
  /** `null` when no Redis could be found: Redis metrics are then recorded as not measured. */
  redis: RedisTarget | null
}

/** A section: measures and returns its metrics. */
export type Section = (context: SectionContext) => Promise<Metrics>
