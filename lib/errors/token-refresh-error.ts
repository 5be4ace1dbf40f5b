import { HttpClientError } from './http-client-error.js';

/** What a {@link TokenRefreshError} knows. */
export interface TokenRefreshErrorInit {
  /** True when the refresh failed for a passing reason (network, timeout, 5xx, 429) after its retries. */
  readonly transient: boolean;
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
export class TokenRefreshError extends HttpClientError {
  override readonly name = 'TokenRefreshError';
  readonly code = 'REFRESH_FAILED';
  readonly transient: boolean;
  readonly oauthError: string | undefined;

  constructor(message: string, init: TokenRefreshErrorInit) {
    super(message, { cause: init.cause });
    this.transient = init.transient;
    this.oauthError = init.oauthError;
  }
}
