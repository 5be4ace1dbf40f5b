import type { TokenSet } from '../session/token-set.js';
import { jwtExpiry } from '../util/jwt-expiry.js';

/**
 * Reads an RFC 6749 §5.1 token response body. Returns the token set, or a description of what is
 * wrong (never quoting a token): not JSON, not an object, no `access_token`, wrong types.
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
  if (typeof body.access_token !== 'string' || body.access_token === '') return 'access_token is not a non-empty string';
  if (body.refresh_token !== undefined && (typeof body.refresh_token !== 'string' || body.refresh_token === '')) {
    return 'refresh_token is not a non-empty string';
  }
  const expiresAt = body.expires_in === undefined || body.expires_in === null ? jwtExpiryByServerClock(body.access_token, headers, now) : fromExpiresIn(body.expires_in, now);
  if (expiresAt === null) return 'expires_in is not a number of seconds';
  return {
    accessToken: body.access_token,
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
