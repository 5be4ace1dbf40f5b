import type { TokenRefreshError } from '../errors/token-refresh-error.js';
import type { StateChange } from './token-set.js';

/** A request is sent again: after a 401 with fresh tokens, or after a transient error. */
export interface RequestRetriedEvent {
  readonly type: 'request-retried';
  readonly method: string;
  /** Redacted: no credentials, no credential-like query values. */
  readonly url: string;
  readonly reason: 'unauthorized' | 'transient';
  readonly attempt: number;
}

/**
 * The session waits for the network (issue 26): a request's retry (`operation: 'request'`) or a
 * refresh's attempt (`'refresh'`) met a NetworkError while the browser says
 * it is offline (`network-waiting`), then the `online` event came and it goes on (`network-back`).
 * A network failure never ends the session (rule 6).
 */
export interface NetworkWaitEvent {
  readonly type: 'network-waiting' | 'network-back';
  readonly operation: 'request' | 'refresh';
}

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
  /** The refresh token was rejected: the tokens are gone; send the user to sign-in. Said once per revocation. */
  | { readonly type: 'session-revoked'; readonly generation: number; readonly origin: 'local' | 'remote' }
  /**
   * The tokens changed other than by this session's own refresh: `setTokens` (`sign-in`),
   * `signOut`, or a refresh, sign-in or sign-out of another member (`origin: 'remote'`: another
   * member sharing the store, a tab or a process).
   */
  | { readonly type: 'tokens-changed'; readonly generation: number; readonly change: Exclude<StateChange, 'revoked'>; readonly origin: 'local' | 'remote' }
  /**
   * The shared store failed outside a refresh (a refresh's own failure is `refresh-failed`):
   * its first `read` (the session went on with the tokens it was given), a sign-in or sign-out
   * `write` given up after retries (the change holds here; the next refresh writes it), or its
   * `changes` stream (the session no longer hears other members until it is created again). An
   * answer or notice that is not a valid state is said too (a dropped notice ends nothing).
   * `error.message` says what failed, naming the field of an invalid state; its `cause` is the
   * store's own error, when there is one.
   */
  | { readonly type: 'store-failed'; readonly operation: 'read' | 'write' | 'changes'; readonly error: Error }
  | RequestRetriedEvent
  | NetworkWaitEvent;
