// simple-oauth2 5 ships no types: the part the naive stampede uses.
declare module 'simple-oauth2' {
  /** A token as simple-oauth2 holds it (the token endpoint's answer plus `expires_at`). */
  export interface Token {
    [key: string]: unknown
    access_token?: string
    refresh_token?: string
    expires_at?: Date | string
  }

  /** One token, refreshable. */
  export interface AccessToken {
    readonly token: Token
    expired(expirationWindowSeconds?: number): boolean
    refresh(params?: { scope?: string | string[] }): Promise<AccessToken>
  }

  /** Options of the grant clients. */
  export interface ModuleOptions {
    client: { id: string; secret: string }
    auth: { tokenHost: string; tokenPath?: string }
    options?: { authorizationMethod?: 'header' | 'body'; bodyFormat?: 'form' | 'json' }
    http?: { headers?: Record<string, string> }
  }

  /** The authorization-code grant client. */
  export class AuthorizationCode {
    constructor(options: ModuleOptions)
    getToken(params: { code: string; redirect_uri?: string; scope?: string }): Promise<AccessToken>
    createToken(token: Token): AccessToken
  }
}
