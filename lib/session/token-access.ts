import type { Observable } from 'rxjs';
import type { RequestRetriedEvent } from './session-event.js';

/** The access token to send and the generation it belongs to (`null` when signed out). */
export interface CurrentToken {
  readonly accessToken: string | null;
  readonly generation: number;
  /**
   * The sign-in the token belongs to (see `SessionState.signIn`): a request that sent a token of
   * one sign-in refuses to send one of another (DESIGN rule 18). `undefined`: unknown, never refused.
   */
  readonly signIn?: string;
}

/** A request in flight that stops on the session's revocation. */
export interface Revocable {
  revoke(): void;
}

/** The requests in flight that stop when a session is revoked. */
export interface RevocationWatch {
  /** `request.revoke()` on the session's next revocation (at once when it is revoked already), until removed. */
  add(request: Revocable): void;
  /** Harmless when it was never added or has left already. */
  remove(request: Revocable): void;
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
   * session was revoked.
   */
  currentToken(): Observable<CurrentToken>;
  /**
   * What `currentToken()` would emit at once, when it needs no wait (no refresh first, the store
   * already read, the session usable); otherwise `undefined`, and `currentToken()` decides.
   * Optional: it spares the hot path of `authorize` an observable per request.
   */
  tokenNow?(): CurrentToken | undefined;
  /**
   * After a 401 for a request that sent the token of `generation`: joins (or starts) the one
   * refresh of that generation, or, when the session has moved on already, emits the current
   * token at once. Emits a `null` token when there is nothing to refresh with (signed out, or
   * no refresh token): the caller's 401 stands. A sign-in while it waits emits the new sign-in's
   * token at once (a request that sent the old one's refuses it, DESIGN rule 18).
   */
  tokenAfterRejection(generation: number): Observable<CurrentToken>;
  /** Publishes a request's retry on the session's `events$`. */
  report(event: RequestRetriedEvent): void;
  /**
   * Emits when the session is revoked (here or in another member sharing its store), so that
   * requests in flight stop at once with `TokenRevokedError` instead of finishing on a dead session.
   */
  readonly revoked$: Observable<void>;
  /**
   * Optional: the session's own {@link RevocationWatch}, a set it keeps for its lifetime.
   * Without it a pipeline subscribes to `revoked$` each time it goes from idle to busy, which
   * was a sixth of a request's cost one request at a time. When present the pipeline uses it
   * INSTEAD of `revoked$`: a wrapper that spreads a session and changes when requests stop must
   * change both, or leave this one out.
   */
  readonly revocations?: RevocationWatch;
}
