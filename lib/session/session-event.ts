import type { TokenRefreshError } from '../errors/token-refresh-error.js';

/**
 * What a session reports on `events$`, for monitoring and for reacting to revocation.
 * Events never carry a token.
 */
export type SessionEvent =
  /** A refresh began for `generation`. */
  | { readonly type: 'refresh-started'; readonly generation: number }
  /** A refresh stored new tokens as `generation`. */
  | { readonly type: 'refresh-succeeded'; readonly generation: number; readonly expiresAt: number | undefined }
  /** A refresh failed; the tokens were kept. */
  | { readonly type: 'refresh-failed'; readonly generation: number; readonly error: TokenRefreshError }
  /** The refresh token was rejected: the tokens are gone; send the user to sign-in. Said once. */
  | { readonly type: 'session-revoked'; readonly generation: number }
  /** Tokens changed from outside a refresh: `setTokens`, sign-out, or another tab or process. */
  | { readonly type: 'tokens-changed'; readonly generation: number; readonly source: 'set' | 'sign-out' | 'store' }
  /** A request is sent again: after a 401 with fresh tokens, or after a transient error. */
  | {
      readonly type: 'request-retried';
      readonly method: string;
      readonly url: string;
      readonly reason: 'unauthorized' | 'transient';
      readonly attempt: number;
    };
