import { from, throwError, type Observable, type ObservableInput } from 'rxjs';
import type { TokenRevokedError } from '../errors/token-revoked-error.js';
import type { ApiRequest, ApiResponse } from '../transport/api-request.js';
import type { Transport } from '../transport/transport.js';
import type { NetworkWaitEvent, RequestRetriedEvent } from './session-event.js';
import type { TokenSet } from './token-set.js';

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
 * How a client proves who it is to the authorization server's token and revocation endpoints
 * (RFC 6749 §2.3): one option, `clientAuthentication`, shared by `oauth2RefreshGrant` and
 * `oauth2Revocation`. Make one with `clientSecretBasic`, `clientSecretPost` or `privateKeyJwt`.
 * It receives each form POST (`body` a form-encoded string) and sends it on with the client's
 * credentials added, once per subscription (an assertion is never sent twice); the body of a
 * failing answer comes back with those credentials replaced by `***`.
 */
export type ClientAuthentication = (request: ApiRequest, send: Transport) => Observable<ApiResponse<unknown>>;

/**
 * The authorization server's half of a DPoP binding (RFC 9449), what the grants and
 * `oauth2Revocation` take as their `dpop` option: make it with `dpopBinding({ key })` of
 * `rx-token-http/dpop`, so that an app without DPoP pays no bytes for it. A session lends its
 * own to a grant or revocation of the library that has none (rule 15).
 */
export interface DpopEndpointBinding {
  /**
   * `authentication` (none for a public client) with a DPoP proof around it: each POST to the
   * token or revocation endpoint gets a fresh proof of the key in its `DPoP` header, and is sent
   * once more, with a new proof and a new client assertion, when the answer is a
   * `use_dpop_nonce` challenge (rule 14). Never sends a request without a proof (rule 15).
   */
  proving(authentication: ClientAuthentication | undefined): ClientAuthentication;
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
   * token rejection and never the request's one refresh (rules 7, 14). With `keyThumbprint` (the
   * token set's), a key that differs sends nothing: the attempt fails with a `DpopKeyError` (rule 15).
   */
  sendWithProof<T>(method: string, url: string, accessToken: string, send: (authorization: string, headers: Readonly<Record<string, string>>) => Observable<T>, keyThumbprint?: string): Observable<T>;
  /**
   * Rule 15, around a refresh grant or a revocation of `tokens`: `call` runs once the key is had
   * and is the one `tokens` are bound to (`keyThumbprint`; unknown when absent), and the DPoP token
   * set it answers is stamped with the key's thumbprint. Otherwise it fails with a `DpopKeyError`
   * and calls nothing: the server would answer a wrong key's refresh by ending the grant.
   */
  withKey<T>(tokens: TokenSet | null | undefined, call: () => ObservableInput<T>): Observable<T>;
  /**
   * DPoP-bound tokens the app gives (`tokens`, `setTokens`), stamped with the key's thumbprint
   * when the key is had already (else at their first refresh); tokens of another key throw a
   * `DpopKeyError` (rule 15).
   */
  stamp(tokens: TokenSet): TokenSet;
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
  /**
   * How the session's DPoP-bound tokens are sent (its `dpop` option, the token set's key checked);
   * without that option they are not sent (rule 15). Absent: Bearer only.
   */
  readonly dpop?: Pick<DpopRequestBinding, 'sendWithProof'>;
}

/**
 * The `dpop` of a session without one (rule 15): Bearer tokens pass, DPoP-bound ones are never
 * refreshed, revoked or sent (as Bearer): a TypeError naming the option, and nothing is sent.
 */
export const UNBOUND: DpopRequestBinding = {
  withKey: (tokens, call) => (tokens?.tokenType ? throwError(unboundError) : from(call())),
  sendWithProof: () => throwError(unboundError),
  stamp: (tokens) => tokens,
};

const unboundError = (): TypeError => new TypeError('createTokenSession: DPoP-bound tokens need the `dpop` option');
