import { asyncScheduler, catchError, map, throwError, type Observable, type SchedulerLike } from 'rxjs';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import type { TokenSet } from '../session/token-set.js';
import { ResponseTooLargeError } from '../transport/response.js';
import { redactUrl } from '../util/redact-url.js';
import type { DpopEndpointBinding } from '../session/token-access.js';
import { endpointPoster, type OAuth2ClientConfig } from './endpoint-request.js';
import { toTokenSet, tooLarge, type OAuth2RefreshFunction } from './oauth2-refresh-grant.js';

/** Where and how to get a client's own token with the client credentials grant (RFC 6749 §4.4). */
export interface OAuth2ClientCredentialsGrantConfig extends OAuth2ClientConfig {
  /** The authorization server's token endpoint. */
  readonly tokenUrl: string;
  /** The scope the token is for. @default none (the client's default scope) */
  readonly scope?: string;
  /** The API the token is for, as an RFC 8707 `resource` (several: one field each). @default none */
  readonly resource?: string | readonly string[];
  /** The API the token is for, as the `audience` field some servers (Auth0, Okta) take instead. @default none */
  readonly audience?: string;
  /** Further form fields; the grant's own fields win over them. */
  readonly extraParams?: Readonly<Record<string, string>>;
  /** The clock that turns `expires_in` into `expiresAt`; use the session's. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** What ends a machine session: the client itself is refused (issue 24, rule 16). */
const CLIENT_FAILURES = new Set(['invalid_client', 'unauthorized_client']);

/**
 * A `refresh` function whose "refresh" is a new client credentials grant (RFC 6749 §4.4): a
 * form-encoded POST of `grant_type=client_credentials` with `scope`, `resource` and `audience`,
 * authenticated by `clientAuthentication` (or `clientId` + `clientSecret`). The argument it is
 * called with is ignored: a machine session has no refresh token. Outcomes as `oauth2RefreshGrant`'s,
 * except that `invalid_client` and `unauthorized_client` (a wrong secret or key, a disabled or
 * deleted client) end the session with {@link TokenRevokedError} naming the client problem, so
 * no more token calls are made; `invalid_scope` stays a non-transient {@link TokenRefreshError}.
 *
 * Give it to a machine session, `createTokenSession({ tokens: 'fetch', refresh })`: the first
 * request fetches a token, and every renewal is a new grant, once per generation.
 *
 * @example
 * const partner = createTokenSession({
 *   tokens: 'fetch',
 *   refresh: oauth2ClientCredentialsGrant({
 *     tokenUrl: 'https://auth.example.com/oauth/token',
 *     clientAuthentication: clientSecretBasic({ clientId: 'billing', clientSecret: process.env.CLIENT_SECRET! }),
 *     scope: 'invoices:write',
 *     resource: 'https://partner.example.com/',
 *   }),
 * });
 */
export function oauth2ClientCredentialsGrant(config: OAuth2ClientCredentialsGrantConfig): OAuth2RefreshFunction {
  if (typeof config !== 'object' || config === null) throw new TypeError('oauth2ClientCredentialsGrant: pass a config object with `tokenUrl`');
  const endpoint = endpointPoster('oauth2ClientCredentialsGrant: tokenUrl', config.tokenUrl, config);
  const scheduler = config.scheduler ?? asyncScheduler;
  const resources = config.resource === undefined ? [] : typeof config.resource === 'string' ? [config.resource] : config.resource;
  for (const [field, value] of [...resources.map((r) => ['resource', r]), ['scope', config.scope], ['audience', config.audience]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw new TypeError(`oauth2ClientCredentialsGrant: ${field} must be a non-empty string`);
  }
  const grant = (_: string, lent?: DpopEndpointBinding): Observable<TokenSet> => {
    const form = new URLSearchParams(config.extraParams);
    form.set('grant_type', 'client_credentials');
    if (config.scope !== undefined) form.set('scope', config.scope);
    form.delete('resource');
    for (const resource of resources) form.append('resource', resource);
    if (config.audience !== undefined) form.set('audience', config.audience);
    return endpoint.post(form, lent).pipe(
      catchError((error: unknown) => throwError(() => (error instanceof ResponseTooLargeError ? tooLarge(endpoint.url, error) : error))),
      map((response) => toTokenSet(response, endpoint.url, [config.clientSecret ?? ''], scheduler.now())),
      catchError((error: unknown) => throwError(() => asClientFailure(error, endpoint.url))),
    );
  };
  return Object.assign(grant, { endpoint: redactUrl(endpoint.url), dpop: config.dpop ?? null });
}

function asClientFailure(error: unknown, tokenUrl: string): unknown {
  if (!(error instanceof TokenRefreshError) || error.oauthError === undefined || !CLIENT_FAILURES.has(error.oauthError)) return error;
  return new TokenRevokedError(
    `The token endpoint ${redactUrl(tokenUrl)} refused the client (${error.oauthError}): its credentials, key or registration are wrong, or it was disabled; the machine session ends`,
    { cause: error },
  );
}
