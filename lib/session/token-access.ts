import type { Observable } from 'rxjs';
import type { TokenRevokedError } from '../errors/token-revoked-error.js';
import type { NetworkWaitEvent, RequestRetriedEvent } from './session-event.js';

/** The access token to send and the generation it belongs to (`null` when signed out). */
export interface CurrentToken {
  readonly accessToken: string | null;
  readonly generation: number;
  /**
   * The sign-in the token belongs to (see `SessionState.signIn`): a request that sent a token of
   * one sign-in refuses to send one of another (rule 18). `undefined`: unknown, never refused.
   */
  readonly signIn?: string;
  /** `'DPoP'` when the token is bound to the session's DPoP key (`TokenSet.tokenType`); absent: Bearer. */
  readonly tokenType?: 'DPoP';
}

/**
 * How a request sends a DPoP-bound token (RFC 9449 §7): the resource half of `dpopBinding` of
 * `rx-token-http/dpop`, given to a session as its `dpop` option.
 */
export interface DpopRequestBinding {
  /**
   * One attempt with `accessToken`: `send` gets `Authorization: DPoP <token>` and a `DPoP` header
   * with a fresh proof (`ath`, the resource server's latest nonce). A resource server's 401
   * `use_dpop_nonce` challenge that brings a new nonce is sent once more with it, here: it is no
   * token rejection and never the request's one refresh (rules 7, 14).
   */
  sendWithProof<T>(method: string, url: string, accessToken: string, send: (authorization: string, headers: Readonly<Record<string, string>>) => Observable<T>): Observable<T>;
}

/**
 * What the request path needs from a session: the protocol side of a {@link TokenSession},
 * without the app-facing members. Any object that keeps these promises can authorize requests.
 */
export interface TokenAccess {
  /**
   * The token to send. Without `rejected`: the token to send now (rule 5), after the refresh it
   * needs first when it expires within the skew, and after the first read of the store; with a
   * valid token it emits in the subscribe call itself. After a rejection of the token of
   * generation `rejected`: the one after it, from the session's one refresh of that generation
   * (rules 1, 2), or at once when the session has moved on; a `null` token when there is nothing
   * to refresh with (the 401 stands); a new sign-in's token at once when the user signs in
   * meanwhile (rule 18). Fails with `TokenRevokedError` on a revoked session.
   */
  token(rejected?: number): Observable<CurrentToken>;
  /** Publishes a request's retry, or its wait for the network, on the session's `events$`. */
  report(event: RequestRetriedEvent | NetworkWaitEvent): void;
  /**
   * Emits when the session is revoked (here or in another member sharing its store), and at once
   * to a subscriber of a session revoked already: requests in flight stop with `TokenRevokedError`.
   */
  readonly revoked$: Observable<TokenRevokedError | void>;
  /** How the session's DPoP-bound tokens are sent (its `dpop` option). Absent: Bearer only. */
  readonly dpop?: DpopRequestBinding;
}
