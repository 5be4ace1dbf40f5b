import { TokenRevokedError } from '../errors/token-revoked-error.js';
import type { SessionState } from './token-set.js';

/*
 * A machine session (issue 24, rule 16): `tokens: 'fetch'`, no user and no refresh token. Its
 * "refresh" is a new grant (e.g. `oauth2ClientCredentialsGrant`), so it can always renew: with no
 * token yet (the first request, `refresh$`, or after `signOut()`) and with a token that expires or
 * meets a 401. Every rule of the protocol holds for the grant as for a refresh; what ends the
 * session is the client's own failure, as a TokenRevokedError from the grant.
 */

/** The `tokens` value that makes a machine session: start with no token, fetch one when needed. */
export const FETCH_TOKENS = 'fetch';

/**
 * Whether the session can renew the tokens of `state`: with their refresh token, or in a machine
 * session by a new grant. Never once revoked: that ends both kinds until `setTokens`.
 */
export function canRenew(state: SessionState, machine: boolean): boolean {
  return !state.revoked && (machine || state.tokens?.refreshToken !== undefined);
}

/**
 * The error of a revoked session's waiting and later requests. A machine session says it was the
 * client the token endpoint refused (there is nobody to send to sign-in).
 */
export function revokedError(machine: boolean): TokenRevokedError {
  if (!machine) return new TokenRevokedError();
  return new TokenRevokedError('The machine session ended: the token endpoint refused the client');
}
