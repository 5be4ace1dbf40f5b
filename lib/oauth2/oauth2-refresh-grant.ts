import { asyncScheduler, catchError, map, throwError, type Observable, type SchedulerLike } from 'rxjs';
import type { ApiResponse } from '../transport/api-request.js';
import { ResponseTooLargeError, isSuccessStatus } from '../transport/response.js';
import { HttpError } from '../errors/request-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { isTransientError } from '../retry/is-transient-error.js';
import type { TokenSet } from '../session/token-set.js';
import { redactUrl } from '../util/redact-url.js';
import type { DpopEndpointBinding } from '../session/token-access.js';
import { endpointPoster, isRedirect, scrubSecrets, type OAuth2ClientConfig, parseTokenResponse } from './endpoint-request.js';

/** Where and how to refresh with the OAuth 2.0 `refresh_token` grant. */
export interface OAuth2RefreshGrantConfig extends OAuth2ClientConfig {
  /** The authorization server's token endpoint. The refresh token is sent nowhere else. */
  readonly tokenUrl: string;
  /** Asks for a narrower scope than the original grant. */
  readonly scope?: string;
  /** Further form fields, e.g. `resource` (RFC 8707). */
  readonly extraParams?: Readonly<Record<string, string>>;
  /** The clock that turns `expires_in` into `expiresAt`; use the session's. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** A refresh function that names its token endpoint (redacted) for timeout errors. */
export type OAuth2RefreshFunction = ((refreshToken: string, dpop?: DpopEndpointBinding) => Observable<TokenSet>) & {
  readonly endpoint: string;
  /** Its `dpop` option, `null` without one: a session takes it as its own, or refuses a grant that would refresh DPoP-bound tokens without a proof (rule 15). */
  readonly dpop: DpopEndpointBinding | null;
};

/**
 * A `refresh` function for {@link createTokenSession} that speaks RFC 6749 §6: a form-encoded
 * POST of `grant_type=refresh_token` to `tokenUrl`. Its outcomes:
 * - §5.1 success: a {@link TokenSet}; `expires_in` (from receipt) becomes `expiresAt`; without it
 *   a JWT `exp` is read against the response's `Date`, so a client clock that runs ahead or behind
 *   the server's does not shorten or stretch the token's life;
 * - `invalid_grant`: {@link TokenRevokedError}, which ends the session;
 * - another §5.2 error code: a non-transient {@link TokenRefreshError} (reason `oauth-error`);
 * - 5xx, 429, 408, network errors: `HttpError` / `NetworkError`, which the session retries;
 * - a redirect, a body that is not a token response, or a body over 1 MiB (read no further than
 *   that): a non-transient {@link TokenRefreshError} (reason `invalid-response`) saying what is wrong.
 *
 * No error or event carries the refresh token or the client secret, even when the server echoes
 * the posted form. Throws a TypeError at once on an unusable `tokenUrl`.
 *
 * @example
 * const refresh = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' });
 */
export function oauth2RefreshGrant(config: OAuth2RefreshGrantConfig): OAuth2RefreshFunction {
  if (typeof config !== 'object' || config === null) throw new TypeError('oauth2RefreshGrant: pass a config object with `tokenUrl`');
  const endpoint = endpointPoster('oauth2RefreshGrant: tokenUrl', config.tokenUrl, config);
  const scheduler = config.scheduler ?? asyncScheduler;
  const refresh = (refreshToken: string, lent?: DpopEndpointBinding): Observable<TokenSet> => {
    // extraParams first, so they can never replace the grant's own fields.
    const form = new URLSearchParams(config.extraParams);
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', refreshToken);
    if (config.scope !== undefined) form.set('scope', config.scope);
    const secrets = [refreshToken, config.clientSecret ?? ''];
    return endpoint.post(form, lent).pipe(
      catchError((error: unknown) => throwError(() => (error instanceof ResponseTooLargeError ? tooLarge(endpoint.url, error) : error))),
      map((response) => toTokenSet(response, endpoint.url, secrets, scheduler.now())),
    );
  };
  return Object.assign(refresh, { endpoint: redactUrl(endpoint.url), dpop: config.dpop ?? null });
}

/** A token endpoint answer as a token set, or the error of RFC 6749 §5.2 it means (see above). */
export function toTokenSet(response: ApiResponse<unknown>, tokenUrl: string, secrets: readonly string[], now: number): TokenSet {
  if (isRedirect(response)) {
    throw new TokenRefreshError(
      `The token endpoint ${redactUrl(tokenUrl)} answered with a redirect (${response.status}), not followed: set tokenUrl to the final URL`,
      { reason: 'invalid-response' },
    );
  }
  if (isSuccessStatus(response.status)) {
    const parsed = parseTokenResponse(response.body, response.headers, now);
    if (typeof parsed === 'string') throw new TokenRefreshError(`The token endpoint's answer is not a token response: ${parsed}`, { reason: 'invalid-response' });
    return parsed;
  }
  const failure = new HttpError({
    method: 'POST',
    url: tokenUrl,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: scrubSecrets(response.body, secrets),
  });
  if (isTransientError(failure)) throw failure;
  const code = oauthErrorCode(response.body);
  if (code === 'invalid_grant') {
    throw new TokenRevokedError('The refresh token was rejected (invalid_grant): sign in again', { cause: failure });
  }
  throw new TokenRefreshError(`The token endpoint refused the refresh: ${code ?? 'status'} ${code ? `(status ${response.status})` : response.status}`, { reason: 'oauth-error', oauthError: code, cause: failure });
}

export function tooLarge(tokenUrl: string, error: ResponseTooLargeError): TokenRefreshError {
  const mib = error.limit / 1_048_576;
  return new TokenRefreshError(
    `The token endpoint ${redactUrl(tokenUrl)} answered (status ${error.status}) with a body larger than the ${mib} MiB cap (${error.limit} bytes): reading stopped`,
    { reason: 'invalid-response', cause: error },
  );
}

function oauthErrorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error: unknown = (body as { error?: unknown }).error;
  return typeof error === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error) ? error : undefined;
}
