/*
 * The little of oidc-provider 9's API the specs use (the package ships no types, and
 * @types/oidc-provider is not installed): enough to type-check spec/oidc/oidc-provider-fixtures.ts.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface StoredToken {
    readonly accountId?: string;
    readonly clientId?: string;
    readonly isExpired: boolean;
    readonly consumed?: unknown;
    readonly jkt?: string;
  }
  interface TokenModel {
    find(value: string): Promise<StoredToken | undefined>;
  }
  interface Adapter {
    upsert(id: string, payload: object, expiresIn?: number): Promise<void>;
    destroy(id: string): Promise<void>;
  }
  interface KoaContext {
    readonly path: string;
    readonly method: string;
    readonly status: number;
    readonly body: unknown;
    get(header: string): string;
    readonly oidc?: { readonly params?: Record<string, unknown>; readonly client?: { readonly clientId: string } };
  }
  export default class Provider {
    constructor(issuer: string, configuration: object);
    readonly Client: { readonly adapter: Adapter };
    readonly AccessToken: TokenModel;
    readonly RefreshToken: TokenModel;
    readonly ClientCredentials: TokenModel;
    use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
