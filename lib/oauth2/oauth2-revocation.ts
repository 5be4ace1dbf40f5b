import { catchError, map, of, throwError, type Observable } from 'rxjs';
import { HttpError } from '../errors/request-error.js';
import { isSuccessStatus, ResponseTooLargeError } from '../transport/response.js';
import type { DpopEndpointBinding } from '../session/token-access.js';
import { redactUrl } from '../util/redact-url.js';
import { endpointPoster, isRedirect, scrubSecrets, type OAuth2ClientConfig } from './endpoint-request.js';

/** Where and how to revoke tokens (RFC 7009). */
export interface OAuth2RevocationConfig extends OAuth2ClientConfig {
  /** The authorization server's revocation endpoint. */
  readonly revocationUrl: string;
}

/**
 * A `revoke` function for {@link createTokenSession}: `signOut({ revoke: true })` then asks the
 * authorization server to revoke the refresh token (RFC 7009 §2.1: a form-encoded POST of
 * `token` with `token_type_hint=refresh_token`), which by §2.1 also ends the access tokens of
 * the same grant where the server supports it. It emits once on a 2xx (§2.2: also for a token
 * the server did not know) and fails with an {@link HttpError} otherwise; the session ignores
 * the outcome: sign-out never waits for it. Throws a TypeError at once on an unusable URL. A body
 * over 1 MiB is read no further: a 2xx still counts (§2.2: the client ignores the body), another
 * status is an {@link HttpError} without the body, whose message names the cap.
 *
 * @example
 * const session = createTokenSession({
 *   refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' }),
 *   revoke: oauth2Revocation({ revocationUrl: 'https://auth.example.com/oauth/revoke', clientId: 'web' }),
 * });
 * session.signOut({ revoke: true });
 */
export function oauth2Revocation(config: OAuth2RevocationConfig): (refreshToken: string, dpop?: DpopEndpointBinding) => Observable<void> {
  if (typeof config !== 'object' || config === null) throw new TypeError('oauth2Revocation: pass a config object with `revocationUrl`');
  const endpoint = endpointPoster('oauth2Revocation: revocationUrl', config.revocationUrl, config);
  return (refreshToken: string, lent?: DpopEndpointBinding): Observable<void> => {
    const form = new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' });
    return endpoint.post(form, lent).pipe(
      map((response) => {
        if (isSuccessStatus(response.status) && !isRedirect(response)) return undefined;
        const body = scrubSecrets(response.body, [refreshToken, config.clientSecret ?? '']);
        throw new HttpError({ method: 'POST', url: endpoint.url, status: response.status, statusText: response.statusText, headers: response.headers, body });
      }),
      catchError((error: unknown) => (error instanceof ResponseTooLargeError ? tooLarge(endpoint.url, error) : throwError(() => error))),
    );
  };
}

// RFC 7009 §2.2: the body of a success is ignored, so an endless one does not make it a failure.
function tooLarge(url: string, error: ResponseTooLargeError): Observable<undefined> {
  if (isSuccessStatus(error.status)) return of(undefined);
  const message = `POST ${redactUrl(url)} answered ${error.status} with a body larger than the ${error.limit / 1_048_576} MiB cap (${error.limit} bytes): reading stopped`;
  return throwError(() => new HttpError({ method: 'POST', url, status: error.status, headers: new Headers(), message, cause: error }));
}
