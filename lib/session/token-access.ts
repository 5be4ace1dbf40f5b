import type { Observable } from 'rxjs';
import type { RequestRetriedEvent } from './session-event.js';

/** The access token to send and the generation it belongs to (`null` when signed out). */
export interface CurrentToken {
  readonly accessToken: string | null;
  readonly generation: number;
  /**
   * The sign-in the token belongs to (see `SessionState.signIn`): a request that sent a token of
   * one sign-in refuses to send one of another (rule 18). `undefined`: unknown, never refused.
   */
  readonly signIn?: string;
}

/**
 * What the request pipeline needs from a session: the protocol side of a {@link TokenSession},
 * without the app-facing members. Any object that keeps these promises can authorize requests.
 */
export interface TokenAccess {
  /**
   * The token a request should send now. Waits for a refresh first when the token expires
   * within the skew (or the session has a refresh token only), and for the shared state when
   * the session has not read its store yet. Fails with `TokenRevokedError` at once when the
   * session was revoked. When it needs no wait it emits in the subscribe call itself: the
   * request with a valid token, the hot path, costs no timer and no refresh machinery.
   */
  currentToken(): Observable<CurrentToken>;
  /**
   * After a 401 for a request that sent the token of `generation`: joins (or starts) the one
   * refresh of that generation, or, when the session has moved on already, emits the current
   * token at once. Emits a `null` token when there is nothing to refresh with (signed out, or
   * no refresh token): the caller's 401 stands. A sign-in while it waits emits the new sign-in's
   * token at once (a request that sent the old one's refuses it, rule 18).
   */
  tokenAfterRejection(generation: number): Observable<CurrentToken>;
  /** Publishes a request's retry on the session's `events$`. */
  report(event: RequestRetriedEvent): void;
  /**
   * Emits when the session is revoked (here or in another member sharing its store), so that
   * requests in flight stop at once with `TokenRevokedError` instead of finishing on a dead session;
   * emits at once to a subscriber of a session revoked already. Every authorized request in
   * flight holds a subscription to it.
   */
  readonly revoked$: Observable<void>;
}
