import type { TokenSet } from '../../lib/session/token-set.js';
import type { Library } from './clients.js';

/** What the parent asks a fleet worker (a forked process holding one shared session). */
export type WorkerCommand =
  | {
      readonly type: 'init';
      readonly library: Library;
      readonly redisUrl: string;
      /** The shared key; omit `redisUrl`'s sharing with `share: false` to run without Redis. */
      readonly key: string;
      readonly share?: boolean;
      readonly apiUrl: string;
      readonly tokenUrl: string;
      readonly tokens?: TokenSet | null;
      readonly lockTtl?: number;
      readonly lockWait?: number;
      /** After the token endpoint answered, tell the parent and hold the answer this long (crash tests). */
      readonly holdAfterAnswer?: number;
      /**
       * A machine session instead of a user's (issue 24): `tokens: 'fetch'`, renewed by the client
       * credentials grant with HTTP Basic; `tokens` is ignored.
       */
      readonly clientCredentials?: { readonly clientId: string; readonly clientSecret: string; readonly scope?: string; readonly resource?: string };
      /**
       * DPoP (issue 23, rule 15): the private JWK every member imports (`importDpopKey`), given to
       * the refresh grant and the session as one `dpopBinding`; `clientId` is the public client's.
       */
      readonly dpop?: { readonly jwk: JsonWebKey; readonly clientId: string };
    }
  | {
      readonly type: 'burst';
      readonly count: number;
      readonly path?: string;
      /** `session.token()` instead of requests to `apiUrl` (a resource server that takes no DPoP). */
      readonly tokens?: boolean;
    }
  | { readonly type: 'state' }
  | { readonly type: 'late-401'; readonly generation: number }
  | { readonly type: 'sign-out' }
  | { readonly type: 'set-tokens'; readonly tokens: TokenSet }
  | { readonly type: 'events' }
  | { readonly type: 'dispose' };

/** How a burst of requests ended in one worker. */
export interface BurstResult {
  readonly ok: number;
  readonly failed: number;
  /** Failures by `name/reason/cause name`, e.g. `TokenRefreshError/store-failed/RedisSharedStateError`. */
  readonly failures: Readonly<Record<string, number>>;
  /** A sample failure message, for a readable spec failure. */
  readonly sample?: string;
  /** Wall time of the burst in ms, for the benchmark. */
  readonly ms: number;
}

export interface WorkerState {
  readonly generation: number;
  readonly accessToken: string | null;
  readonly refreshToken: string | null;
  readonly revoked: boolean;
  /** The token set's `keyThumbprint` (DPoP, rule 15), `null` when none. */
  readonly keyThumbprint: string | null;
}

export interface RecordedEvent {
  readonly type: string;
  readonly generation: number;
  readonly origin?: string;
  readonly change?: string;
  /** Date.now() when the worker saw it. */
  readonly at: number;
}

/** Worker → parent: the answer to command `id`, or a notice of its own. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly type: 'token-call' }
  | { readonly type: 'token-answered' };
