import { asyncScheduler, type ObservableInput, type SchedulerLike } from 'rxjs';
import { checkRetryConfig } from '../retry/check-retry-config.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import { checkDuration } from '../util/check-duration.js';
import { UNBOUND, type DpopEndpointBinding, type DpopRequestBinding } from './token-access.js';
import type { TokenSet } from './token-set.js';
import { CONNECT_SESSION, type Share } from './token-store.js';

/** The `tokens` value that makes a machine session: start with no token, fetch one when needed. */
export const FETCH_TOKENS = 'fetch';

/**
 * Exchanges a refresh token for a new token set. `endpoint`, when set, names the token
 * endpoint (redacted) in timeout errors; {@link oauth2RefreshGrant} sets it. In a machine
 * session (`tokens: 'fetch'`) it makes a new grant and is called with an empty string: there is
 * no refresh token ({@link oauth2ClientCredentialsGrant} ignores it).
 */
export type RefreshFunction = ((refreshToken: string, dpop?: DpopEndpointBinding) => ObservableInput<TokenSet>) & {
  readonly endpoint?: string;
  /** Set by the library's grants: their `dpop` binding, `null` without one. */
  readonly dpop?: object | null;
};

/** Tells the authorization server to forget a refresh token (RFC 7009), for `signOut({ revoke: true })`. */
export type RevokeFunction = (refreshToken: string, dpop?: DpopEndpointBinding) => ObservableInput<unknown>;

/** How a {@link TokenSession} refreshes and where it keeps its tokens. Only `refresh` is required. */
export interface TokenSessionConfig {
  /**
   * The tokens to start with, e.g. from sign-in; `{ refreshToken }` alone is a valid start (the
   * first request refreshes first). With a `share` whose store already holds a state, the store wins.
   *
   * `'fetch'` makes a machine session (a service's own token, docs/machine-sessions.md): no user
   * and no refresh token; `refresh` is a new grant such as {@link oauth2ClientCredentialsGrant},
   * made by the first request (or `refresh$`) and whenever the token expires or meets a 401, once
   * per generation. It ends only when the grant fails with {@link TokenRevokedError} (the client
   * was refused); `signOut()` forgets the token and the next request fetches one. No `revoke`.
   * @default null (signed out)
   */
  readonly tokens?: TokenSet | null | typeof FETCH_TOKENS;
  /**
   * Exchanges a refresh token for a new token set: {@link oauth2RefreshGrant} speaks RFC 6749
   * §6. Throw (or error with) {@link TokenRevokedError} to end the session; transient errors
   * (network, timeout, 5xx, 429) are retried with backoff.
   */
  readonly refresh: RefreshFunction;
  /** Revokes a refresh token on `signOut({ revoke: true })`: see {@link oauth2Revocation}. @default none */
  readonly revoke?: RevokeFunction;
  /** Refresh before sending a token that expires within this many ms (at most a quarter of its life). @default 30000 */
  readonly skew?: number;
  /** Each call of `refresh` fails with a timeout after this many ms. @default 10000 */
  readonly refreshTimeout?: number;
  /**
   * The whole refresh, its attempts, backoff waits, lock and store calls included, fails with a
   * {@link TokenRefreshError} after this many ms: every waiter hears back in bounded time.
   * @default 20000
   */
  readonly refreshDeadline?: number;
  /**
   * Backoff for transient refresh failures, checked as `retryBackoff` checks its config (a
   * TypeError or RangeError naming the field; `scheduler` and `shouldRetry` are the session's).
   * @default { maxRetries: 3, baseDelay: 300, maxDelay: 10000 }
   */
  readonly refreshRetry?: Omit<RetryBackoffConfig, 'scheduler' | 'shouldRetry'>;
  /** Also refresh on a timer before expiry, not only when a request needs a token. @default false */
  readonly refreshAhead?: boolean;
  /**
   * Shares the state, and makes refreshes exclusive, among sessions of one user: other tabs
   * (`shareAcrossTabs`), other processes (`shareThroughRedis`), this process (`shareInMemory`),
   * or your own store (`shareStore`). @default none
   */
  readonly share?: Share;
  /**
   * DPoP (RFC 9449) for the session's requests: `dpopBinding({ key })` of `rx-token-http/dpop`,
   * the same one its `refresh` grant takes. A token set with `tokenType: 'DPoP'` is then sent as
   * `Authorization: DPoP <token>` with a proof to allowed origins; others stay Bearer. It checks
   * that its key is the one the tokens are bound to before every refresh, revocation and request
   * (rule 15, docs/dpop.md); DPoP-bound tokens need it. @default none
   */
  readonly dpop?: DpopRequestBinding & DpopEndpointBinding;
  /**
   * With a `share`: how long requests wait for the session's first read of the shared state,
   * and how long each later store write may take. A refresh whose token endpoint answered keeps
   * writing under the lock for up to five of these, past its deadline, sign-out or dispose. @default 1000
   */
  readonly storeTimeout?: number;
  /** Clock and timers; pass a `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** The config with every default filled in and checked. */
export interface ResolvedSessionConfig {
  /** A machine session (`tokens: 'fetch'`): it renews by a new grant, with no refresh token. */
  readonly machine: boolean;
  readonly refresh: RefreshFunction;
  readonly revoke: RevokeFunction | undefined;
  readonly skew: number;
  readonly refreshTimeout: number;
  readonly refreshDeadline: number;
  readonly refreshRetry: Omit<RetryBackoffConfig, 'scheduler' | 'shouldRetry'>;
  readonly refreshAhead: boolean;
  readonly share: Share | undefined;
  /** The session's `dpop`, or a stand-in that refuses DPoP-bound tokens. */
  readonly dpop: DpopRequestBinding;
  /** The session's own `dpop`, given to its refresh and revoke functions with each call. */
  readonly lend: DpopEndpointBinding | undefined;
  readonly storeTimeout: number;
  readonly scheduler: SchedulerLike;
}

/** The defaults, in one place (docs/defaults.md lists them). */
export const SESSION_DEFAULTS = {
  skew: 30_000,
  refreshTimeout: 10_000,
  refreshDeadline: 20_000,
  refreshRetry: { maxRetries: 3, baseDelay: 300, maxDelay: 10_000 },
  storeTimeout: 1_000,
} as const;

const DURATIONS = ['skew', 'refreshTimeout', 'refreshDeadline', 'storeTimeout'] as const;

/** Checks `config` and fills in the defaults; throws a TypeError naming the first bad field. */
export function resolveSessionConfig(config: TokenSessionConfig | undefined): ResolvedSessionConfig {
  if (typeof config !== 'object' || config === null) {
    throw new TypeError('createTokenSession: pass a config object with `refresh`');
  }
  if (typeof config.refresh !== 'function') throw new TypeError('createTokenSession: `refresh` must be a function');
  if (config.revoke !== undefined && typeof config.revoke !== 'function') throw new TypeError('createTokenSession: `revoke` must be a function');
  const machine = config.tokens === FETCH_TOKENS;
  if (machine && config.revoke !== undefined) throw new TypeError('createTokenSession: a machine session takes no `revoke`');
  for (const key of DURATIONS) if (config[key] !== undefined) checkDuration(config[key], `createTokenSession: \`${key}\``);
  // The same check as retryBackoff's; the session sets the scheduler and the retry decision itself.
  if (config.refreshRetry !== undefined) checkRetryConfig(config.refreshRetry, 'createTokenSession: `refreshRetry`', ['scheduler', 'shouldRetry']);
  if ('store' in config || 'lock' in config) throw new TypeError('createTokenSession: pass a store and lock as `share: shareStore(store, lock)`');
  if (config.share !== undefined && typeof config.share?.[CONNECT_SESSION] !== 'function') {
    throw new TypeError('createTokenSession: `share` must come from shareStore(), shareInMemory(), shareAcrossTabs() or shareThroughRedis()');
  }
  if (config.dpop !== undefined && (typeof config.dpop?.withKey !== 'function' || typeof config.dpop.proving !== 'function')) throw new TypeError('createTokenSession: `dpop` must come from dpopBinding()');
  // Rule 15: one binding for everything the session authorizes. A grant of the library lends its
  // binding (one of dpopBinding's, not an endpoint half alone) to a session without one; the
  // session lends its own to the grants that have none.
  const granted = config.refresh.dpop as DpopRequestBinding | null | undefined;
  return {
    machine,
    refresh: config.refresh,
    revoke: config.revoke,
    skew: config.skew ?? SESSION_DEFAULTS.skew,
    refreshTimeout: config.refreshTimeout ?? SESSION_DEFAULTS.refreshTimeout,
    refreshDeadline: config.refreshDeadline ?? SESSION_DEFAULTS.refreshDeadline,
    refreshRetry: config.refreshRetry ?? SESSION_DEFAULTS.refreshRetry,
    refreshAhead: config.refreshAhead ?? false,
    share: config.share,
    dpop: config.dpop ?? (typeof granted?.withKey === 'function' ? granted : UNBOUND),
    lend: config.dpop,
    storeTimeout: config.storeTimeout ?? SESSION_DEFAULTS.storeTimeout,
    scheduler: config.scheduler ?? asyncScheduler,
  };
}
