import { HttpError } from '../errors/http-error.js';

/**
 * Whether an error means "this access token is no good", the only case a refresh can mend:
 * a 401 whose `WWW-Authenticate` names no error or `invalid_token` (RFC 6750 §3.1). A 401 naming
 * another error (`insufficient_scope`, DPoP's `use_dpop_nonce`) and every 403 are not.
 * (The request path also requires the 401 to come from an origin allowed to receive the
 * token: see `HttpError.responseUrl`.)
 */
export function isTokenRejection(error: unknown): error is HttpError {
  if (!(error instanceof HttpError) || error.status !== 401) return false;
  const challenge = error.headers.get('www-authenticate');
  if (!challenge) return true;
  const named = /(?:^|[\s,])error\s*=\s*"?([^",\s]*)/i.exec(challenge)?.[1];
  return named === undefined || named === '' || named === 'invalid_token';
}
