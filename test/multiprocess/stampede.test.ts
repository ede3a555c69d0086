import { describeRedis } from '../support/redis.js'
import { sharedRedisStore } from './scenario.js'
import { stampedeTest } from './stampede.js'

describeRedis('refresh stampede across processes (Redis)', () => {
  stampedeTest(sharedRedisStore)
})
