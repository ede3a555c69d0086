/** The example's own providers, beside the token manager that `BoltTokensModule` provides. */

/** The session helper (`../shared/sessions.ts`). */
export const SESSIONS = Symbol('SESSIONS')

/** The Account API calls (`../shared/bolt-account-api.ts`). */
export const BOLT_ACCOUNT_API = Symbol('BOLT_ACCOUNT_API')

/** Where failures answered with a 5xx are logged (`AppOptions.log`). */
export const ERROR_LOG = Symbol('ERROR_LOG')
