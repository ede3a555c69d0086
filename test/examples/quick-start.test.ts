import { expect, it } from 'vitest'
import { quickStart } from '../../examples/quick-start.js'

it("the README's quick start runs and does what it says", async () => {
  expect(await quickStart()).toEqual([
    'unauthenticated → codeExchange',
    'codeExchange → fullyScoped',
    'GET /v1/account → shopper@example.com',
    'may manage the account',
    'fullyScoped → unauthenticated',
  ])
})
