import { describeRedis } from '../support/redis.js'
import { leaseTakeoverTests } from './lease-takeover.js'
import { sharedRedisStore } from './scenario.js'

describeRedis('lease takeover after the lease holder is SIGKILLed mid-refresh (Redis)', () => {
  leaseTakeoverTests(sharedRedisStore)
})
