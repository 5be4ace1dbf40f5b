import { BaseError } from './base-error.js';

/**
 * Why a refresh failed, for `switch` statements and tests (never match message text):
 * - `network`: the token endpoint could not be reached, after the retries;
 * - `timeout`: an attempt, or the refresh's overall deadline, ran out;
 * - `server-error`: the token endpoint kept answering 408, 429 or 5xx;
 * - `oauth-error`: it refused with an OAuth error code other than `invalid_grant` (see `oauthError`):
 *   a configuration problem;
 * - `invalid-response`: its answer is not a usable token response;
 * - `no-refresh-token`: the session has nothing to refresh with;
 * - `signed-out`: sign-out or sign-in replaced the tokens while the refresh ran;
 * - `disposed`: the session was disposed;
 * - `sign-in-changed`: a request first sent with one sign-in's token would have been sent again
 *   with another sign-in's (a sign-in or sign-out while it waited for a refresh, a backoff or a
 *   late 401's retry, rule 18): it ends instead; the message names its method and URL;
 * - `store-failed`: the token store or the refresh lock failed or did not answer in time;
 * - `refresh-function`: a custom `refresh` function failed with an error of its own.
 */
export type TokenRefreshFailure =
  | 'network'
  | 'timeout'
  | 'server-error'
  | 'oauth-error'
  | 'invalid-response'
  | 'no-refresh-token'
  | 'signed-out'
  | 'disposed'
  | 'sign-in-changed'
  | 'store-failed'
  | 'refresh-function';

const TRANSIENT: ReadonlySet<TokenRefreshFailure> = new Set(['network', 'timeout', 'server-error', 'store-failed']);

/** What a {@link TokenRefreshError} knows. */
export interface TokenRefreshErrorInit {
  readonly reason: TokenRefreshFailure;
  /** Whether a later refresh may succeed. @default true for network, timeout, server-error and store-failed */
  readonly transient?: boolean;
  /** The OAuth 2.0 `error` code of the token endpoint's answer (RFC 6749 §5.2), when it gave one. */
  readonly oauthError?: string;
  readonly cause?: unknown;
}

/**
 * Refreshing the access token failed, and every request waiting for it fails with this error.
 * The tokens are kept: when `transient` is true the next request may refresh again; when false
 * the cause is a configuration problem (`invalid_client`, a malformed token response, …) that
 * retrying will not fix. Revocation is not this error but {@link TokenRevokedError}.
 */
export class TokenRefreshError extends BaseError {
  override readonly name = 'TokenRefreshError';
  readonly code = 'REFRESH_FAILED';
  /** Why it failed; see {@link TokenRefreshFailure}. */
  readonly reason: TokenRefreshFailure;
  readonly transient: boolean;
  readonly oauthError: string | undefined;

  constructor(message: string, init: TokenRefreshErrorInit) {
    super(message, { cause: init.cause });
    this.reason = init.reason;
    this.transient = init.transient ?? TRANSIENT.has(init.reason);
    this.oauthError = init.oauthError;
  }
}
