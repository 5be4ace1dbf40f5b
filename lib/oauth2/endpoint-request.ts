import type { Observable } from 'rxjs';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import { fetchTransport } from '../transport/fetch-transport.js';
import type { ClientAuthentication, DpopEndpointBinding } from '../session/token-access.js';
import { ACCESS_TOKEN, REFRESH_TOKEN, checkToken, type TokenSet } from '../session/token-set.js';
import { jwtExpiry } from '../util/jwt-expiry.js';
import { refuseUrlCredentials } from '../util/url-credentials.js';

/** How a client authenticates to the authorization server's endpoints (RFC 6749 §2.3). */
export interface OAuth2ClientConfig {
  /** Public clients send it in the body; with `clientSecret` it goes in HTTP Basic auth. */
  readonly clientId?: string;
  /** For confidential clients (servers), sent with `clientId` as HTTP Basic auth (`client_secret_basic`). */
  readonly clientSecret?: string;
  /**
   * How a confidential client authenticates: `clientSecretBasic(…)`, `clientSecretPost(…)` or
   * `privateKeyJwt(…)`, one option for every grant. With it, leave `clientId` and `clientSecret`
   * out (a TypeError says so). @default none
   */
  readonly clientAuthentication?: ClientAuthentication;
  /**
   * DPoP (RFC 9449): `dpopBinding({ key })` of `rx-token-http/dpop`. Every POST then carries a
   * fresh proof of the key, a `use_dpop_nonce` answer is sent once more with the server's nonce,
   * and the tokens come back bound to the key (`tokenType: 'DPoP'`). @default none (Bearer)
   */
  readonly dpop?: DpopEndpointBinding;
  /** @default globalThis.fetch, looked up per call */
  readonly fetch?: typeof fetch;
}

/**
 * The longest body read from the token and revocation endpoints: 1 MiB (docs/defaults.md). A
 * token response is a few kB; a longer body stops being read at the cap, so a broken or hostile
 * server cannot make the client buffer megabytes.
 */
export const ENDPOINT_MAX_BODY_BYTES = 1_048_576;

/** Posts forms to one endpoint of the authorization server, as the configured client. */
export type EndpointPoster = (form: URLSearchParams, lent?: DpopEndpointBinding) => Observable<ApiResponse<unknown>>;

/**
 * Checks an endpoint URL and returns a function that posts a form to it. The URL must use https
 * (plain http only to this machine) and carry no credentials; redirects are not followed: a
 * 307/308 would carry the form, credentials included, to wherever it points (fetch strips
 * `Authorization` on a cross-origin redirect, but not the body). A body longer than
 * {@link ENDPOINT_MAX_BODY_BYTES} fails with a `ResponseTooLargeError`, read no further.
 */
export function endpointPoster(name: string, url: string, config: OAuth2ClientConfig): { readonly url: string; readonly post: EndpointPoster } {
  const checked = checkEndpointUrl(name, url);
  const send = fetchTransport(config.fetch, { redirect: 'manual', maxBodyBytes: ENDPOINT_MAX_BODY_BYTES });
  const { clientId, clientSecret, clientAuthentication, dpop } = config;
  if (clientAuthentication && (clientId ?? clientSecret) !== undefined) throw new TypeError('with clientAuthentication, leave out clientId and clientSecret');
  const authenticated = dpop?.proving(clientAuthentication) ?? clientAuthentication;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (clientSecret !== undefined) headers.authorization = basicAuthorization(clientId ?? '', clientSecret);
  // The session's binding, lent to a grant without one of its own (rule 15).
  const post: EndpointPoster = (form, lent) => {
    const proved = !dpop && lent ? lent.proving(clientAuthentication) : authenticated;
    if (clientId !== undefined && clientSecret === undefined) form.set('client_id', clientId);
    const request: ApiRequest = { method: 'POST', url: checked, headers, body: form.toString(), responseType: 'text', timeout: false, retry: false, auth: false, idempotent: false };
    return proved ? proved(request, send) : send(request);
  };
  return { url: checked, post };
}

/** True for an answer that is a redirect: a 3xx, or a browser's opaque redirect (status 0). */
export function isRedirect(response: ApiResponse<unknown>): boolean {
  return response.status === 0 || (response.status >= 300 && response.status < 400);
}

/**
 * `body` with every occurrence of the `secrets` replaced by `***`: a token endpoint that echoes
 * the posted form in its error page must not put the refresh token into an error or an event.
 */
export function scrubSecrets(body: unknown, secrets: readonly string[]): unknown {
  const forms = secrets.filter((s) => s.length > 0).flatMap((s) => [s, encodeURIComponent(s), formEncode(s)]);
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return forms.reduce((text, secret) => text.split(secret).join('***'), value);
    if (Array.isArray(value)) return value.map(scrub);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  return scrub(body);
}

/** RFC 6749 §2.3.1 HTTP Basic: the id and secret are form-encoded (Appendix B) before Basic encoding. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

// Long-lived credentials travel over TLS, or stay on this machine; and never inside the URL itself.
function checkEndpointUrl(name: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${name} must be an absolute URL, got ${typeof url === 'string' ? 'a relative or malformed one' : typeof url}`);
  }
  refuseUrlCredentials(parsed, name, 'pass clientId and clientSecret');
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname) || parsed.hostname.endsWith('.localhost');
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new TypeError(`${name} must use https (plain http only to localhost)`);
  }
  return parsed.toString();
}
/**
 * Reads an RFC 6749 §5.1 token response body. Returns the token set, or a description of what is
 * wrong (never quoting a token): not JSON, not an object, no `access_token`, wrong types, or a
 * token with characters a token may not have (the session's own check, {@link checkToken}).
 * `expires_in` may be a number or a numeric string (some servers send strings) and counts from
 * receipt. Without it, a JWT `exp` is moved by the difference between the response's `Date` and
 * this machine's clock: the server stamped both, so the token lives as long as it meant.
 * A refresh token that did not come back is left out: the session keeps the previous one (rule 4).
 * `token_type` `DPoP` (any case) becomes `tokenType: 'DPoP'`; any other is Bearer, left out.
 */
export function parseTokenResponse(text: unknown, headers: Headers, now: number): TokenSet | string {
  if (typeof text !== 'string') return 'the body is not text';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `the body is not JSON (content-type ${headers.get('content-type') ?? 'missing'})`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'the JSON body is not an object';
  const body = json as Record<string, unknown>;
  if (!('access_token' in body)) return 'it has no access_token';
  // The checks the session applies to every token set (token-set.ts), named as the server sent them.
  const problem = checkToken('access_token', body.access_token, ACCESS_TOKEN) ?? checkToken('refresh_token', body.refresh_token, REFRESH_TOKEN);
  if (problem) return problem;
  const expiresAt = body.expires_in === undefined || body.expires_in === null ? jwtExpiryByServerClock(body.access_token as string, headers, now) : fromExpiresIn(body.expires_in, now);
  if (expiresAt === null) return 'expires_in is not a number of seconds';
  return {
    accessToken: body.access_token as string,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    // RFC 9449 §5: a DPoP-bound token is sent as `DPoP <token>`; absent, Bearer. Case-insensitive (RFC 6749 §5.1).
    ...(/^dpop$/i.test(body.token_type as string) && { tokenType: 'DPoP' as const }),
  };
}

function fromExpiresIn(raw: unknown, now: number): number | null {
  const seconds = typeof raw === 'string' ? (/^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN) : raw;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return null;
  return now + seconds * 1000;
}

function jwtExpiryByServerClock(accessToken: string, headers: Headers, now: number): number | undefined {
  const exp = jwtExpiry(accessToken);
  if (exp === undefined) return undefined;
  const date = headers.get('date');
  const serverNow = date ? Date.parse(date) : Number.NaN;
  return Number.isNaN(serverNow) ? exp : exp + (now - serverNow);
}
