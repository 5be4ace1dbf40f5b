import { isHeaderValue } from '../util/header-syntax.js';

/**
 * The `Authorization` header value for `accessToken`. A token with characters a header cannot
 * carry (a control character, a line break) is a TypeError that never quotes the token: sent,
 * undici would refuse it with a message that does, and the error would land in logs.
 */
export function bearer(accessToken: string): string {
  const value = `Bearer ${accessToken}`;
  if (!isHeaderValue(value)) throw new TypeError('Invalid Authorization header: the access token contains characters not allowed in a header');
  return value;
}
