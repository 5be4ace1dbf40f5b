import { jwtExpiry } from '../util/jwt-expiry.js';
import type { TokenSet } from './token-set.js';

/**
 * Checks a token set from user code or a refresh function and fills what can be derived:
 * `expiresAt` from the JWT `exp` claim, and the previous refresh token when no new one came back
 * (the server did not rotate it). Returns a description of the first problem instead of a token
 * set when the value is unusable; the description never quotes a token.
 */
export function normalizeTokenSet(value: unknown, previousRefreshToken?: string): TokenSet | string {
  if (typeof value !== 'object' || value === null) return `a token set must be an object, got ${typeOf(value)}`;
  const { accessToken, refreshToken, expiresAt } = value as Record<string, unknown>;
  if (typeof accessToken !== 'string' || accessToken === '') {
    return `accessToken must be a non-empty string, got ${typeOf(accessToken)}`;
  }
  if (refreshToken !== undefined && (typeof refreshToken !== 'string' || refreshToken === '')) {
    return `refreshToken must be a non-empty string when present, got ${typeOf(refreshToken)}`;
  }
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    return `expiresAt must be a finite number of epoch ms when present, got ${typeOf(expiresAt)}`;
  }
  const kept = refreshToken ?? previousRefreshToken;
  const expiry = expiresAt ?? jwtExpiry(accessToken);
  return {
    accessToken,
    ...(kept === undefined ? {} : { refreshToken: kept }),
    ...(expiry === undefined ? {} : { expiresAt: expiry }),
  };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}
