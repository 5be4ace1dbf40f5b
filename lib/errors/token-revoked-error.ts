import { BaseError } from './base-error.js';

/**
 * The authorization server rejected the refresh token (`invalid_grant`), or, in a machine
 * session (`tokens: 'fetch'`), the client itself (`invalid_client`, `unauthorized_client`): the
 * session is over. Terminal: the tokens are cleared, and every waiting and later authorized
 * request fails with this error at once, without touching the network, until the app calls
 * `setTokens`. Typical reaction: send the user to sign-in; for a machine session, fix the
 * client's credentials (the message names the refused client).
 */
export class TokenRevokedError extends BaseError {
  override readonly name = 'TokenRevokedError' as const;
  readonly code = 'TOKEN_REVOKED' as const;

  constructor(message = 'The session was revoked: sign in again', options?: { cause?: unknown }) {
    super(message, options);
  }
}
