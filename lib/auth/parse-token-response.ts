import type { TokenSet } from '../session/token-set.js';

/**
 * Reads an RFC 6749 §5.1 token response body. Returns the token set, or a description of what is
 * wrong (never quoting a token): not JSON, not an object, no `access_token`, wrong types.
 * `expires_in` may be a number or a numeric string (some servers send strings).
 */
export function parseTokenResponse(text: unknown, contentType: string | null, now: number): TokenSet | string {
  if (typeof text !== 'string') return 'the body is not text';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `the body is not JSON (content-type ${contentType ?? 'missing'})`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'the JSON body is not an object';
  const body = json as Record<string, unknown>;
  if (!('access_token' in body)) return 'it has no access_token';
  if (typeof body.access_token !== 'string' || body.access_token === '') return 'access_token is not a non-empty string';
  if (body.refresh_token !== undefined && (typeof body.refresh_token !== 'string' || body.refresh_token === '')) {
    return 'refresh_token is not a non-empty string';
  }
  let expiresAt: number | undefined;
  if (body.expires_in !== undefined && body.expires_in !== null) {
    const raw = body.expires_in;
    const seconds = typeof raw === 'string' ? (/^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN) : raw;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return 'expires_in is not a number of seconds';
    expiresAt = now + seconds * 1000;
  }
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}
