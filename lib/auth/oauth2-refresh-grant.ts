import { asyncScheduler, map, type Observable, type SchedulerLike } from 'rxjs';
import { HttpError } from '../errors/http-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import type { HttpResponse } from '../client/http-request.js';
import type { TokenSet } from '../session/token-set.js';
import { fetchBackend } from '../transport/fetch-backend.js';
import { parseTokenResponse } from './parse-token-response.js';

/** Where and how to refresh with the OAuth 2.0 `refresh_token` grant. */
export interface OAuth2RefreshGrantConfig {
  /** The authorization server's token endpoint. The refresh token is sent nowhere else. */
  readonly tokenUrl: string;
  /** Public clients send it in the body; with `clientSecret` it goes in HTTP Basic auth. */
  readonly clientId?: string;
  /** For confidential clients (servers), sent with `clientId` as HTTP Basic auth (RFC 6749 §2.3.1). */
  readonly clientSecret?: string;
  /** Asks for a narrower scope than the original grant. */
  readonly scope?: string;
  /** Further form fields, e.g. `resource` (RFC 8707). */
  readonly extraParams?: Readonly<Record<string, string>>;
  /** @default globalThis.fetch, looked up per call */
  readonly fetch?: typeof fetch;
  /** The clock that turns `expires_in` into `expiresAt`; use the session's. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

const CONFIG_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'invalid_request', 'unsupported_grant_type', 'invalid_scope']);

/**
 * A `refresh` function for {@link createTokenSession} that speaks RFC 6749 §6: a form-encoded
 * POST of `grant_type=refresh_token` to `tokenUrl`. Its outcomes:
 * - §5.1 success: a {@link TokenSet}; `expires_in` becomes `expiresAt`, and the old refresh token
 *   is kept when the server sends no new one;
 * - `invalid_grant`: {@link TokenRevokedError}, which ends the session;
 * - another §5.2 error code: a non-transient {@link TokenRefreshError} naming the code;
 * - 5xx, 429, network errors: `HttpError` / `NetworkError`, which the session retries;
 * - a body that is not a token response (HTML, no `access_token`): a non-transient
 *   {@link TokenRefreshError} saying what is wrong.
 *
 * @example
 * const refresh = oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' });
 */
export function oauth2RefreshGrant(config: OAuth2RefreshGrantConfig): (refreshToken: string) => Observable<TokenSet> {
  const tokenUrl = checkTokenUrl(config.tokenUrl);
  // A 307/308 would carry the form, refresh token included, to wherever it points: fetch strips
  // Authorization on a cross-origin redirect but not the body. A token endpoint has no reason
  // to redirect, so a redirect is an error here.
  const backend = fetchBackend(config.fetch, { redirect: 'error' });
  const scheduler = config.scheduler ?? asyncScheduler;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (config.clientSecret !== undefined) {
    // RFC 6749 §2.3.1: form-encode both parts (Appendix B) before Basic encoding.
    headers.authorization = `Basic ${btoa(`${formEncode(config.clientId ?? '')}:${formEncode(config.clientSecret)}`)}`;
  }

  return (refreshToken: string) => {
    // extraParams first, so they can never replace the grant's own fields.
    const form = new URLSearchParams(config.extraParams);
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', refreshToken);
    if (config.clientId !== undefined && config.clientSecret === undefined) form.set('client_id', config.clientId);
    if (config.scope !== undefined) form.set('scope', config.scope);
    return backend({
      method: 'POST',
      url: tokenUrl,
      headers,
      body: form.toString(),
      responseType: 'text',
      timeout: false,
      retry: false,
      auth: false,
      idempotent: false,
    }).pipe(map((response) => toTokenSet(response, tokenUrl, refreshToken, scheduler.now())));
  };
}

function toTokenSet(response: HttpResponse<unknown>, tokenUrl: string, refreshToken: string, now: number): TokenSet {
  if (response.status >= 200 && response.status < 300) {
    const parsed = parseTokenResponse(response.body, response.headers.get('content-type'), now);
    if (typeof parsed === 'string') throw new TokenRefreshError(`The token endpoint's answer is not a token response: ${parsed}`, { reason: 'invalid-response' });
    return { ...parsed, refreshToken: parsed.refreshToken ?? refreshToken };
  }
  const failure = new HttpError({
    method: 'POST',
    url: tokenUrl,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: response.body,
  });
  if (response.status >= 500 || response.status === 429 || response.status === 408) throw failure;
  const code = oauthErrorCode(response.body);
  if (code === 'invalid_grant') {
    throw new TokenRevokedError('The refresh token was rejected (invalid_grant): sign in again', { cause: failure });
  }
  const named = code === undefined ? `status ${response.status}` : CONFIG_ERRORS.has(code) ? code : `${code} (status ${response.status})`;
  throw new TokenRefreshError(`The token endpoint refused the refresh: ${named}`, { reason: 'oauth-error', oauthError: code, cause: failure });
}

function oauthErrorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error: unknown = (body as { error?: unknown }).error;
  return typeof error === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error) ? error : undefined;
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

// The refresh token is a long-lived credential: it travels over TLS, or stays on this machine.
function checkTokenUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`oauth2RefreshGrant: tokenUrl must be an absolute URL, got ${JSON.stringify(url)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname) || parsed.hostname.endsWith('.localhost');
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new TypeError('oauth2RefreshGrant: tokenUrl must use https (plain http only to localhost)');
  }
  return parsed.toString();
}
