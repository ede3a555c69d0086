// The one name the Durable Objects store takes from workerd's built-in `cloudflare:workers`
// module, declared structurally so that this repository type-checks without
// `@cloudflare/workers-types` (whose globals clash with the DOM library). A Worker project
// has the real declaration from `@cloudflare/workers-types` or `wrangler types`.
declare module 'cloudflare:workers' {
  /** workerd's base class of Durable Objects: extending it enables RPC on their stubs. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: import('./cloudflare-object.js').SessionObjectState
    protected env: Env
    constructor(ctx: import('./cloudflare-object.js').SessionObjectState, env: Env)
    alarm?(): void | Promise<void>
  }
}
